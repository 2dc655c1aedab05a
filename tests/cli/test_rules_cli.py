"""`healthcode rules …` as an operator runs it: real processes, a real data directory (A5)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DEFAULT_FILE = Path(__file__).parents[2] / "src/healthcode/rulesets/zhejiang-2021-36.yaml"


def healthcode(
    data_dir: Path, *args: str, actor: str = "alice"
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HEALTHCODE_")}
    env |= {"HEALTHCODE_DATA_DIR": str(data_dir), "HEALTHCODE_ACTOR": actor}
    return subprocess.run(  # noqa: S603 - our own command, with the tests' own arguments
        [sys.executable, "-m", "healthcode", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=env,
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    for command in (("keys", "init"), ("db", "upgrade")):
        result = healthcode(tmp_path, *command)
        assert result.returncode == 0, result.stderr
    return tmp_path


@pytest.fixture
def new_version(tmp_path: Path) -> Path:
    """The default ruleset as version 1.2.0, its valid-from an unquoted YAML timestamp."""
    text = DEFAULT_FILE.read_text("utf-8").replace("version: 1.1.0", "version: 1.2.0")
    path = tmp_path / "rules-1.2.0.yaml"
    path.write_text(text.replace("2021-03-26T00:00:00+08:00", "2021-04-01T00:00:00+08:00"))
    return path


def test_draft_then_approval_by_a_second_person__A5(data_dir: Path, new_version: Path) -> None:
    drafted = healthcode(data_dir, "rules", "draft", str(new_version))
    assert drafted.returncode == 0, drafted.stderr
    assert "drafted zhejiang-2021-36@1.2.0" in drafted.stdout
    approved = healthcode(data_dir, "rules", "approve", "zhejiang-2021-36", "1.2.0", actor="bob")
    assert approved.returncode == 0, approved.stderr
    listed = healthcode(data_dir, "rules", "list", "--json")
    assert json.loads(listed.stdout) == [
        {
            "id": "zhejiang-2021-36",
            "version": "1.2.0",
            "valid_from": "2021-04-01T00:00:00+08:00",
            "status": "approved",
            "author": "alice",
            "approved_by": "bob",
            "activated_at": None,
        }
    ]


def test_the_author_approving_exits_2_with_one_line__A5(data_dir: Path, new_version: Path) -> None:
    assert healthcode(data_dir, "rules", "draft", str(new_version)).returncode == 0
    refused = healthcode(data_dir, "rules", "approve", "zhejiang-2021-36", "1.2.0")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1
    assert "second, different person" in refused.stderr
    assert json.loads(healthcode(data_dir, "rules", "list", "--json").stdout)[0]["status"] == (
        "draft"
    )
    assert healthcode(data_dir, "audit", "verify").returncode == 0


def test_an_invalid_draft_exits_2_naming_the_file_and_place__A5(
    data_dir: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"id": "x", "version": "1", "rules": []}))
    result = healthcode(data_dir, "rules", "draft", str(broken))
    assert result.returncode == 2
    assert (
        result.stderr
        == f"healthcode: error: {broken}: version: not a semantic version (MAJOR.MINOR.PATCH)\n"
    )


def test_dry_run_reports_json_before_approval__A5(data_dir: Path, new_version: Path) -> None:
    result = healthcode(data_dir, "rules", "dry-run", str(new_version), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "ruleset": "zhejiang-2021-36@1.2.0",
        "evaluated": 0,
        "changes": [],
        "by_region": {},
    }

"""`healthcode destroy` as the security officer runs it at the end of the epidemic (D1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SAMPLES = Path(__file__).parents[2] / "src" / "healthcode" / "samples"
RED_TRAVELLER = "330106198604181110"  # a person in the sample events
PHRASE = "destroy all personal data"


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "HEALTHCODE_DATA_DIR": str(data_dir),
        "HEALTHCODE_CLOCK": "2021-03-20T12:00:00+08:00",
    }
    environment.pop("HEALTHCODE_DATABASE_URL", None)  # the embedded SQLite database
    return subprocess.run(  # noqa: S603 - our own command, with the tests' own arguments
        [sys.executable, "-m", "healthcode", *args],
        capture_output=True, text=True, check=False, timeout=120, env=environment,
    )  # fmt: skip


def prepared(data_dir: Path) -> None:
    for command in (
        ["keys", "init"],
        ["db", "upgrade"],
        ["import", "events", str(SAMPLES / "events.jsonl")],
    ):
        result = run(data_dir, *command)
        assert result.returncode == 0, result.stderr


def test_destroy_refuses_without_the_exact_phrase__D1(tmp_path: Path) -> None:
    prepared(tmp_path)
    report = tmp_path / "report.json"
    for confirmation in ([], ["--confirm", "yes"], ["--confirm", PHRASE.upper()]):
        refused = run(tmp_path, "destroy", "--report", str(report), *confirmation)
        assert refused.returncode == 2, refused.stderr
        assert f'--confirm "{PHRASE}"' in refused.stderr
    assert not report.exists()
    still = run(tmp_path, "status", "--id-type", "resident_id", "--id-number", RED_TRAVELLER)
    assert still.returncode == 0, still.stderr


def test_dry_run_then_destroy_then_verify_the_signed_report__D1(tmp_path: Path) -> None:
    prepared(tmp_path)
    root = tmp_path / "root.jwk"
    assert run(tmp_path, "trust-list", "root", "--out", str(root)).returncode == 0
    dry = run(tmp_path, "destroy", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)
    assert plan["will_delete_rows"]["persons"] > 0
    assert "audit_log" in plan["will_keep_tables"]
    report = tmp_path / "report.json"
    done = run(tmp_path, "destroy", "--report", str(report), "--confirm", PHRASE)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(report.read_text())
    verified = run(tmp_path, "destroy", "verify-report", str(report), "--root-jwk", str(root))
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("verified: CN-33 destroyed ")
    payload = json.loads(
        run(
            tmp_path, "destroy", "verify-report", str(report), "--root-jwk", str(root), "--json"
        ).stdout
    )
    assert payload["deleted_rows"] == plan["will_delete_rows"]
    gone = run(tmp_path, "status", "--id-type", "resident_id", "--id-number", RED_TRAVELLER)
    assert gone.returncode == 2
    assert "destroyed" in gone.stderr
    assert_another_root_refuses(tmp_path / "other", report)


def assert_another_root_refuses(other: Path, report: Path) -> None:
    root = str(other.parent / "other-root.jwk")
    for command in (["keys", "init"], ["db", "upgrade"], ["trust-list", "root", "--out", root]):
        assert run(other, *command).returncode == 0
    checked = run(other, "destroy", "verify-report", str(report), "--root-jwk", root)
    assert checked.returncode == 2
    assert "not by the given root" in checked.stderr

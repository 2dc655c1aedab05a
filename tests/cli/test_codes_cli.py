"""`healthcode code issue`, `keys rotate|list`, `verify`: as an operator runs them (A8, S4, D2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from healthcode.tokens import qr_png, qr_svg

SAMPLES = Path(__file__).parents[2] / "src" / "healthcode" / "samples"
GREEN_RESIDENT = "330106198001011518"  # in the samples: vaccinated, green


def healthcode(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "HEALTHCODE_DATA_DIR": str(data_dir),
        "HEALTHCODE_CLOCK": "2021-03-20T12:00:00+08:00",
    }
    environment.pop("HEALTHCODE_DATABASE_URL", None)
    environment.pop("HEALTHCODE_ISSUER", None)
    return subprocess.run(  # noqa: S603 - our own command, with the test's own arguments
        [sys.executable, "-m", "healthcode", *args],
        capture_output=True, text=True, check=False, timeout=120, env=environment,
    )  # fmt: skip


def prepared(folder: Path) -> Path:
    events = str(SAMPLES / "events.jsonl")
    for command in (["keys", "init"], ["db", "upgrade"], ["import", "events", events]):
        assert healthcode(folder, *command).returncode == 0
    return folder


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return prepared(tmp_path)


@pytest.fixture(scope="module")
def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """For commands that change nothing worth isolating: refusals and denials."""
    return prepared(tmp_path_factory.mktemp("shared"))


def test_issue_prints_the_qr_text_and_writes_its_images__D2(data_dir: Path, tmp_path: Path) -> None:
    svg, png = tmp_path / "code.svg", tmp_path / "code.png"
    issued = healthcode(
        data_dir, "code", "issue", "--id-type", "resident_id", "--id-number", GREEN_RESIDENT,
        "--svg", str(svg), "--png", str(png),
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    text = issued.stdout.strip()
    assert text.startswith("HZ1:")
    assert GREEN_RESIDENT not in text
    assert "green domestic phone code for 徐*" in issued.stderr
    # The images come from the one QR function (scanned back by a real decoder in test_tokens).
    assert svg.read_text(encoding="utf-8") == qr_svg(text)
    assert png.read_bytes() == qr_png(text)
    verified = healthcode(data_dir, "verify", text, "--venue", "mall", "--area-risk", "high")
    assert json.loads(verified.stdout)["decision"] == "allow"


def test_rotate_then_list_shows_the_retired_and_the_active_key(data_dir: Path) -> None:
    issue = ["code", "issue", "--id-type", "resident_id", "--id-number", GREEN_RESIDENT, "--json"]
    first = json.loads(healthcode(data_dir, *issue).stdout)
    assert healthcode(data_dir, "keys", "rotate").returncode == 0
    second = json.loads(healthcode(data_dir, *issue).stdout)
    keys = json.loads(healthcode(data_dir, "keys", "list", "--json").stdout)
    statuses = {key["kid"]: (key["purpose"], key["status"], key["not_after"]) for key in keys}
    assert statuses[first["kid"]] == ("code", "retired", "2021-03-27T12:00:00+08:00")
    assert statuses[second["kid"]] == ("code", "active", None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["code", "issue", "--id-type", "resident_id", "--id-number", "33010619900101123X"],
         "no such person"),
        (["code", "issue", "--id-type", "resident_id", "--id-number", "12345"], "--id-number"),
        (["verify", "HZ1:X", "--venue", "spa", "--area-risk", "high"], "--venue"),
        (["verify", "HZ1:X", "--venue", "mall", "--area-risk", "high", "--trust-list", "x.json"],
         "--trust-root"),
        (["keys", "revoke", "AAAAAAAAAAA", "--reason", "test"], "no signing key"),
        (["gateway", "submit", "--from", "file:///etc/passwd"], "not an http(s) URL"),
        (["gateway", "register", "CN-32", "missing.json"], "missing.json"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2__S4(
    shared_dir: Path, args: list[str], message: str
) -> None:
    result = healthcode(shared_dir, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "33010619900101123X" not in result.stderr


def test_a_garbled_code_is_a_denial_not_an_error__S4(shared_dir: Path) -> None:
    result = healthcode(
        shared_dir, "verify", "HZ1:%%%", "--venue", "station", "--area-risk", "high"
    )
    assert result.returncode == 0
    shown = json.loads(result.stdout)
    assert (shown["decision"], shown["rejection"], shown["clauses"]) == (
        "deny",
        "bad_encoding",
        ["S4"],
    )

"""The database commands end to end, as an operator runs them (S5, A5, A6, D1, D2, D3)."""

from __future__ import annotations

import json
import os
import pty
import sqlite3
import subprocess
import sys
from pathlib import Path

SAMPLES = Path(__file__).parents[2] / "src" / "healthcode" / "samples"
RED_TRAVELLER = "330106198604181110"  # in the samples: back from a high-risk area on 03-12


def run(
    data_dir: Path, *args: str, clock: str = "2021-03-20T12:00:00+08:00"
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "HEALTHCODE_DATA_DIR": str(data_dir), "HEALTHCODE_CLOCK": clock}
    environment.pop("HEALTHCODE_DATABASE_URL", None)  # the embedded SQLite database
    return subprocess.run(  # noqa: S603 - our own command, with the tests' own arguments
        [sys.executable, "-m", "healthcode", *args],
        capture_output=True, text=True, check=False, timeout=120, env=environment,
    )  # fmt: skip


def prepared(data_dir: Path) -> None:
    for command in (["keys", "init"], ["db", "upgrade"]):
        result = run(data_dir, *command)
        assert result.returncode == 0, result.stderr
    for feed, name in (
        ("areas", "risk_areas.jsonl"),
        ("severe", "severe_areas.jsonl"),
        ("events", "events.jsonl"),
    ):
        result = run(data_dir, "import", feed, str(SAMPLES / name), "--json")
        assert result.returncode == 0, result.stderr


def status(
    data_dir: Path, number: str, clock: str = "2021-03-20T12:00:00+08:00"
) -> dict[str, object]:
    result = run(
        data_dir, "status", "--id-type", "resident_id", "--id-number", number, "--json", clock=clock
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_imported_codes_match_assess_and_move_with_time__A6(tmp_path: Path) -> None:
    prepared(tmp_path)
    assessed = run(
        tmp_path, "assess", "--events", str(SAMPLES / "events.jsonl"),
        "--areas", str(SAMPLES / "risk_areas.jsonl"),
        "--severe", str(SAMPLES / "severe_areas.jsonl"),
        "--at", "2021-03-20T12:00:00+08:00", "--json",
    )  # fmt: skip
    expected = next(
        json.loads(line)
        for line in assessed.stdout.splitlines()
        if json.loads(line)["person"]["id_number"] == RED_TRAVELLER
    )
    assert status(tmp_path, RED_TRAVELLER) == expected
    later = "2021-03-27T00:00:00+08:00"
    worked = run(tmp_path, "worker", "--once", clock=later)
    assert worked.returncode == 0, worked.stderr
    assert status(tmp_path, RED_TRAVELLER, clock=later)["color"] == "green"


def test_reimport_is_all_duplicates__S5(tmp_path: Path) -> None:
    prepared(tmp_path)
    again = run(tmp_path, "import", "events", str(SAMPLES / "events.jsonl"), "--json")
    report = json.loads(again.stdout)
    assert (again.returncode, report["accepted"], report["rejected"]) == (0, 0, [])
    assert report["duplicates"] > 0


def test_commands_without_keys_say_how_to_make_them__D2(tmp_path: Path) -> None:
    result = run(tmp_path, "status", "--id-type", "resident_id", "--id-number", RED_TRAVELLER)
    assert result.returncode == 2
    assert "healthcode keys init" in result.stderr
    assert result.stderr.count("\n") == 1


def test_status_of_an_unknown_person_and_a_bad_number__D2(tmp_path: Path) -> None:
    prepared(tmp_path)
    unknown = run(tmp_path, "status", "--id-type", "passport", "--id-number", "E99999999")
    assert unknown.returncode == 1
    bad = run(tmp_path, "status", "--id-type", "resident_id", "--id-number", "330106198604181111")
    assert bad.returncode == 2
    assert "330106198604181111" not in bad.stderr


def test_audit_verify_after_the_work__D3(tmp_path: Path) -> None:
    prepared(tmp_path)
    status(tmp_path, RED_TRAVELLER)
    result = run(tmp_path, "audit", "verify", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    # The import's population job adds two: its start and its one partition done.
    assert (report["entries"], report["problems"], report["intact"]) == (7, [], True)
    assert report["unsealed"] == 7 - report["sealed"]


def test_audit_seal_then_verify_with_the_shipped_heads_catches_a_wipe__D3(tmp_path: Path) -> None:
    prepared(tmp_path)
    status(tmp_path, RED_TRAVELLER)
    sealed = run(tmp_path, "audit", "seal")
    assert sealed.returncode == 0, sealed.stderr
    assert sealed.stdout.startswith("sealed 7 entries")  # with the import's population job
    heads = tmp_path / "audit-heads.jsonl"
    assert run(tmp_path, "audit", "seal").stdout.strip() == "nothing new to seal"
    checked = run(tmp_path, "audit", "verify", "--json", "--heads", str(heads))
    report = json.loads(checked.stdout)
    assert (checked.returncode, report["sealed"], report["heads"]) == (0, 7, 2)
    with sqlite3.connect(tmp_path / "healthcode.db") as database:
        database.executescript("DELETE FROM audit_log; DELETE FROM audit_seals;")
    assert run(tmp_path, "audit", "verify").returncode == 0  # the database alone cannot tell
    wiped = run(tmp_path, "audit", "verify", "--heads", str(heads))
    assert wiped.returncode == 4
    # The one entry left is the verification just before, which the wiped log recorded.
    assert "head of 7 entries (audit-heads.jsonl line 1): the log holds only 1" in wiped.stderr


def sample_persons(name: str) -> set[str]:
    lines = (SAMPLES / name).read_text(encoding="utf-8").splitlines()
    return {json.loads(line)["person"]["id_number"] for line in lines if line.strip()}


def test_an_import_re_evaluates_each_person_once_however_many_batches__S5(tmp_path: Path) -> None:
    """Each batch queues its persons; one population job after the last re-evaluates each once."""
    for command in (["keys", "init"], ["db", "upgrade"]):
        assert run(tmp_path, *command).returncode == 0
    for feed, name in (("areas", "risk_areas.jsonl"), ("severe", "severe_areas.jsonl")):
        assert run(tmp_path, "import", feed, str(SAMPLES / name), "--json").returncode == 0
    events = str(SAMPLES / "events.jsonl")

    result = run(tmp_path, "import", "events", events, "--json", "--batch-size", "2")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"accepted", "duplicates", "rejected", "reevaluated"}
    assert report["reevaluated"] == len(sample_persons("events.jsonl"))
    assert result.stderr == ""  # no progress bar without a terminal
    # Areas sent again change nothing, so no job is started and nobody is re-evaluated.
    again = run(tmp_path, "import", "areas", str(SAMPLES / "risk_areas.jsonl"), "--json")
    assert json.loads(again.stdout)["reevaluated"] == 0


def test_the_import_shows_its_progress_on_a_terminal__S5(tmp_path: Path) -> None:
    for command in (["keys", "init"], ["db", "upgrade"]):
        assert run(tmp_path, *command).returncode == 0
    environment = {**os.environ, "HEALTHCODE_DATA_DIR": str(tmp_path)}
    environment |= {"HEALTHCODE_CLOCK": "2021-03-20T12:00:00+08:00", "COLUMNS": "120"}
    environment.pop("HEALTHCODE_DATABASE_URL", None)
    terminal, stderr = pty.openpty()
    process = subprocess.Popen(  # noqa: S603 - our own command, with the tests' own arguments
        [sys.executable, "-m", "healthcode", "import", "events", str(SAMPLES / "events.jsonl")],
        stdout=subprocess.PIPE, stderr=stderr, env=environment, text=True,
    )  # fmt: skip
    os.close(stderr)
    shown = b""
    while True:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # the command has ended and closed its side
            break
        if not chunk:
            break
        shown += chunk
    out, _ = process.communicate(timeout=120)
    os.close(terminal)

    assert process.returncode == 0
    assert "codes re-evaluated: " in out
    assert "re-evaluating" in shown.decode("utf-8", "replace")

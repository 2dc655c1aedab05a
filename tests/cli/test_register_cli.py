"""`healthcode import register FILE`: the police population register, a department feed (A1, D2)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

NUMBER = "330106194303052421"


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "HEALTHCODE_DATA_DIR": str(data_dir)}
    environment["HEALTHCODE_CLOCK"] = "2021-03-20T12:00:00+08:00"
    environment.pop("HEALTHCODE_DATABASE_URL", None)  # the embedded SQLite database
    return subprocess.run(  # noqa: S603 - our own command, with the tests' own arguments
        [sys.executable, "-m", "healthcode", *args],
        capture_output=True, text=True, check=False, timeout=120, env=environment,
    )  # fmt: skip


def record(event_id: str, **changes: object) -> str:
    base = {
        "event_id": event_id,
        "source": "police",
        "type": "register",
        "occurred_at": "2021-01-01T00:00:00+08:00",
        "person": {"id_type": "resident_id", "id_number": NUMBER, "name": "王桂英",
                   "phone": "13800000007"},
        "household": "3301060001",
    }  # fmt: skip
    return json.dumps(base | changes, ensure_ascii=False)


def test_the_register_is_imported_sealed_and_bad_records_are_located__D2(tmp_path: Path) -> None:
    for command in (["keys", "init"], ["db", "upgrade"]):
        assert run(tmp_path, *command).returncode == 0
    feed = tmp_path / "register.jsonl"
    feed.write_text(record("hj-1") + "\n" + record("hj-2", household="") + "\n", encoding="utf-8")
    imported = run(tmp_path, "import", "register", str(feed), "--json")
    assert imported.returncode == 3, imported.stderr  # some rejected
    report = json.loads(imported.stdout)
    assert report["accepted"] == 1
    assert [error["field"] for error in report["rejected"]] == ["household"]
    assert NUMBER not in imported.stderr
    again = json.loads(run(tmp_path, "import", "register", str(feed), "--json").stdout)
    assert (again["accepted"], again["duplicates"]) == (0, 1)
    changed = tmp_path / "changed.jsonl"
    changed.write_text(record("hj-1", household="3301060002") + "\n", encoding="utf-8")
    conflict = run(tmp_path, "import", "register", str(changed), "--json")
    assert conflict.returncode == 3  # the same event with other content is an error (SPEC §1)
    assert [error["field"] for error in json.loads(conflict.stdout)["rejected"]] == ["event_id"]
    stored = (tmp_path / "healthcode.db").read_bytes()
    for clear in (NUMBER, "王桂英", "13800000007", "3301060001"):
        assert clear.encode() not in stored
    with sqlite3.connect(tmp_path / "healthcode.db") as connection:
        assert connection.execute("select count(*) from population_register").fetchone() == (1,)

"""`healthcode import` as a department runs it (S5): killed half-way, bad records, unusable files.

Real processes on real databases (SQLite and PostgreSQL, see conftest). The crash test kills the
importer with SIGKILL, which no code can intercept, once a batch is committed, and then checks
that what is stored is whole batches only and that running the same file again finishes the job.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import ColumnElement, Engine, Table, create_engine, func, select, text

from builders import resident_id
from healthcode.db.schema import audit_log, code_states, evaluation_queue, facts
from healthcode.services.facts import CONFLICT

CLOCK = "2021-03-20T12:00:00+08:00"
BATCH = 200
PERSONS = 1000  # four events each: 4,000 records, 20 batches, a few seconds to import
TIMEOUT = 120  # seconds any one command may take before the test gives up on it

Env = dict[str, str]


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> Env:
    """The environment of a department's import job: keys made, database migrated."""
    environment = os.environ | {
        "HEALTHCODE_DATA_DIR": str(tmp_path / "data"),
        "HEALTHCODE_DATABASE_URL": database_url,
        "HEALTHCODE_CLOCK": CLOCK,
        "HEALTHCODE_ACTOR": "feed-health",
    }
    for command in (["keys", "init"], ["db", "upgrade"]):
        done = healthcode(environment, *command)
        assert done.returncode == 0, done.stderr
    return environment


@pytest.fixture
def reader(database_url: str) -> Iterator[Engine]:
    # A plain engine, not healthcode's: that one begins every transaction by taking SQLite's write
    # lock, and would wait for the importer instead of reading what it has committed.
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def healthcode(env: Env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command, with the tests' own arguments
        [sys.executable, "-m", "healthcode", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT,
    )


def import_args(path: Path, workers: int = 2) -> list[str]:
    """Worker processes whatever the machine's cores (ADR 0014): the kill is the writer's."""
    batches = ["--batch-size", str(BATCH), "--workers", str(workers)]
    return ["import", "events", str(path), "--json", *batches]


def import_events(env: Env, path: Path) -> subprocess.CompletedProcess[str]:
    return healthcode(env, *import_args(path))


def person_events(number: int) -> list[dict[str, object]]:
    """A vaccination, a negative test and two trips of one resident (exchange format v1)."""
    born = date(1950, 1, 1) + timedelta(days=number // 1000)
    person = {
        "id_type": "resident_id",
        "id_number": resident_id("330106", f"{born:%Y%m%d}", f"{number % 1000:03d}"),
    }
    day = f"2021-03-{1 + number % 18:02d}"

    def event(
        prefix: str, source: str, event_type: str, hour: int, **fields: object
    ) -> dict[str, object]:
        return {
            "event_id": f"{prefix}-{number:06d}",
            "source": source,
            "type": event_type,
            "person": person,
            "occurred_at": f"{day}T{hour:02d}:00:00+08:00",
            **fields,
        }

    return [
        event("VAC", "health", "vaccination", 9, dose=1, product="CoronaVac"),
        event("TST", "health", "test", 20, kind="nucleic_acid", result="negative",
              sampled_at=f"{day}T10:00:00+08:00"),
        event("TRA", "telecom", "trip", 12, region="330102"),
        event("TRB", "rail", "trip", 18, region="330108001"),
    ]  # fmt: skip


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    lines = (json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def population_file(path: Path) -> list[dict[str, object]]:
    """Every record once, shuffled as feeds arrive, so that batches keep touching known persons."""
    records = [record for number in range(PERSONS) for record in person_events(number)]
    random.Random(5).shuffle(records)  # noqa: S311 - an arrival order, not a secret
    write_jsonl(path, records)
    return records


def count(engine: Engine, table: Table, *where: ColumnElement[bool]) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def kill_after_first_commit(process: subprocess.Popen[bytes], reader: Engine) -> int:
    """SIGKILL the importer as soon as a batch is visible; the facts committed by then."""

    def committed() -> bool:
        assert process.poll() is None, f"the import ended ({process.returncode}) before a commit"
        return count(reader, facts) > 0

    wait_until(committed, "a committed batch")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=TIMEOUT)
    if reader.dialect.name == "postgresql":
        # A COMMIT the importer sent just before it died may still be in the server's hands:
        # wait until its session is gone, so that what is counted now is all it will ever store.
        wait_until(lambda: sessions_of_others(reader) == 0, "the killed session to end")
    return count(reader, facts)


def sessions_of_others(engine: Engine) -> int:
    with engine.connect() as connection:
        query = text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND backend_type = 'client backend'"
            " AND pid <> pg_backend_pid()"
        )
        return int(connection.scalar(query) or 0)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def test_a_killed_import_keeps_whole_batches_and_a_rerun_finishes_it__S5(
    env: Env, reader: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    records = population_file(path)
    process = subprocess.Popen(  # noqa: S603 - our own command, with the tests' own arguments
        [sys.executable, "-m", "healthcode", *import_args(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    kept = kill_after_first_commit(process, reader)

    assert process.returncode == -signal.SIGKILL
    assert 0 < kept < len(records), "the kill must land in the middle of the import"
    # Whole batches or nothing: every record of this file is new and valid, so a committed batch
    # adds exactly BATCH facts, one audit entry, and queues each person it touched for the
    # import's re-evaluation (one job after the last batch, which the kill came before).
    assert kept % BATCH == 0
    assert count(reader, audit_log, audit_log.c.action == "facts.record") == kept // BATCH
    with reader.connect() as connection:
        persons = connection.scalar(select(func.count(facts.c.person_id.distinct())))
        queued = connection.scalar(select(func.count(evaluation_queue.c.person_id.distinct())))
    assert queued == persons
    assert count(reader, code_states) == 0

    rerun = import_events(env, path)

    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["rejected"] == []
    assert report["duplicates"] == kept  # what the killed run stored comes back as duplicates
    assert report["accepted"] + report["duplicates"] == len(records)
    distinct = {(record["source"], record["event_id"]) for record in records}
    assert count(reader, facts) == len(distinct)
    assert count(reader, code_states) == PERSONS
    # The rerun re-evaluated everyone once: those the killed run queued and its own.
    assert report["reevaluated"] == PERSONS
    assert count(reader, evaluation_queue) == 0
    verified = healthcode(env, "audit", "verify")
    assert verified.returncode == 0, verified.stderr


def test_rejected_records_are_reported_with_line_event_id_field_and_reason__S5(
    env: Env, reader: Engine, tmp_path: Path
) -> None:
    good, other = person_events(1)[:2]
    path = tmp_path / "events.jsonl"
    write_jsonl(path, [good, other])
    lines = path.read_text(encoding="utf-8").splitlines()
    lines += [
        json.dumps(good | {"event_id": "BAD-1", "person": {"id_type": "resident_id",
                                                           "id_number": "330106198001011230"}}),
        json.dumps(good | {"event_id": "BAD-2", "occurred_at": "yesterday"}),
        "{not json",
        json.dumps(good | {"product": "BBIBP-CorV"}),  # the id of line 1 with other content
    ]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = import_events(env, path)

    assert result.returncode == 3, result.stderr
    report = json.loads(result.stdout)
    assert report["accepted"] == 2
    located = [(r["location"], r["event_id"], r["field"]) for r in report["rejected"]]
    assert located == [
        ("line 3", "BAD-1", "person.id_number"),
        ("line 4", "BAD-2", "occurred_at"),
        ("line 5", None, None),
        ("line 6", good["event_id"], "event_id"),
    ]
    assert all(r["reason"] for r in report["rejected"])
    assert report["rejected"][-1]["reason"] == CONFLICT
    assert "330106198001011230" not in result.stdout + result.stderr  # reasons repeat no values
    assert count(reader, facts) == 2


def test_an_unusable_file_exits_2_with_one_line_on_stderr__S5(env: Env, tmp_path: Path) -> None:
    not_an_array = tmp_path / "events.json"
    not_an_array.write_text(json.dumps({"events": []}), encoding="utf-8")

    for path in (tmp_path / "missing.jsonl", not_an_array):
        result = import_events(env, path)

        assert result.returncode == 2, result.stderr
        assert len(result.stderr.splitlines()) == 1
        assert result.stderr.startswith(f"healthcode: error: {path}: ")


def test_with_workers_or_without_the_same_records_are_kept_and_rejected_in_order__S5(
    env: Env, reader: Engine, tmp_path: Path
) -> None:
    """Batches prepared by worker processes (ADR 0014) are recorded in file order, as in one."""
    records = [record for number in range(150) for record in person_events(number)]  # 600
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    lines[10] = "{not json"
    lines[250] = json.dumps(records[250] | {"occurred_at": "yesterday"})
    lines[599] = json.dumps(records[0] | {"product": "BBIBP-CorV"})  # line 1's id, other content
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = [
        ("line 11", None, None),
        ("line 251", records[250]["event_id"], "occurred_at"),
        ("line 600", records[0]["event_id"], "event_id"),
    ]

    first = healthcode(env, *import_args(path, workers=2))
    again = healthcode(env, *import_args(path, workers=0))

    reports = [json.loads(run.stdout) for run in (first, again)]
    assert [run.returncode for run in (first, again)] == [3, 3]
    for report in reports:
        assert [(r["location"], r["event_id"], r["field"]) for r in report["rejected"]] == expected
    assert reports[0]["accepted"] == reports[1]["duplicates"] == 597
    assert reports[1]["accepted"] == 0
    assert count(reader, facts) == 597

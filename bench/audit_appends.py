"""Benchmark: audit appends from 4 processes on PostgreSQL, the old locked head against the new log.

    .venv/bin/python bench/audit_appends.py [--processes 4] [--seconds 5] [--repeat 3] [--hold-ms 0]

Creates a scratch database on HEALTHCODE_BENCH_POSTGRES_URL (default: the local server, user
postgres), migrated to the current schema. The old approach (issue #11's starting point: lock
the one `audit_head` row, insert, update the head) runs on two tables of its own, a copy of the
code it replaced; the new one is `healthcode.db.audit.append` itself. Each transaction is one
append and a commit; `--hold-ms` keeps it open that long after the append, as a use case does
while it writes the rest. The two take turns `--repeat` times; figures are medians, printed as
Markdown for bench/README.md. Drops the database at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import multiprocessing
import os
import platform
import statistics
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url

from healthcode.db import audit
from healthcode.db.engine import connect
from healthcode.db.migrate import upgrade

ADMIN_URL = os.environ.get(
    "HEALTHCODE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
KEY = bytes(range(32))
ENTRY = audit.AuditEntry("bench", "system", "benchmark", "code.read", "code:bench")
OLD_TABLES = """
CREATE TABLE old_audit_head (id integer PRIMARY KEY, seq bigint NOT NULL, hash bytea NOT NULL);
CREATE TABLE old_audit_log (seq bigint PRIMARY KEY, at timestamptz NOT NULL, actor text,
    role text, purpose text, action text, object text, outcome text, detail text,
    prev_hash bytea NOT NULL, hash bytea NOT NULL);
INSERT INTO old_audit_head VALUES (1, 0, '\\x00');
"""


def old_append(connection: Connection, at: datetime) -> None:
    """The append before revision 0006: every writer locks and updates the one head row."""
    head = connection.execute(
        text("SELECT seq, hash FROM old_audit_head WHERE id = 1 FOR UPDATE")
    ).one()
    seq = int(head.seq) + 1
    content = {"seq": seq, "at": at.isoformat(), **ENTRY.fields()}
    message = bytes(head.hash) + json.dumps(content, sort_keys=True).encode()
    digest = hmac.new(KEY, message, hashlib.sha256).digest()
    connection.execute(
        text(
            "INSERT INTO old_audit_log VALUES (:seq, :at, :actor, :role, :purpose, :action,"
            " :object, :outcome, :detail, :prev, :hash)"
        ),
        {"seq": seq, "at": at, **ENTRY.fields(), "prev": bytes(head.hash), "hash": digest},
    )
    connection.execute(
        text("UPDATE old_audit_head SET seq = :seq, hash = :hash WHERE id = 1"),
        {"seq": seq, "hash": digest},
    )


def new_append(connection: Connection, at: datetime) -> None:
    audit.append(connection, KEY, ENTRY, at)


def appender(url: str, approach: str, seconds: float, hold: float) -> tuple[int, float]:
    """(transactions committed, seconds spent inside the append calls) of one process."""
    append = old_append if approach == "old" else new_append
    engine = connect(url)
    done, waited = 0, 0.0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        with engine.begin() as connection:
            started = time.perf_counter()
            append(connection, datetime.now(UTC))
            waited += time.perf_counter() - started
            if hold:
                time.sleep(hold)
        done += 1
    engine.dispose()
    return done, waited


def turn(
    url: str, approach: str, processes: int, seconds: float, hold: float
) -> tuple[float, float]:
    """(entries a second over all processes, mean ms inside one append)."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        results = pool.starmap(appender, [(url, approach, seconds, hold)] * processes)
    done = sum(count for count, _ in results)
    waited = sum(wait for _, wait in results)
    return done / seconds, 1000 * waited / max(done, 1)


def scratch_database() -> tuple[str, str]:
    name = f"healthcode_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = connect(url)
    upgrade(engine)
    with engine.begin() as connection:
        for statement in OLD_TABLES.split(";"):
            if statement.strip():
                connection.execute(text(statement))
    engine.dispose()
    return name, url


def drop(name: str) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hold-ms", type=float, default=0.0)
    arguments = parser.parse_args()
    name, url = scratch_database()
    figures: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
    try:
        for _ in range(arguments.repeat):
            for approach in ("old", "new"):
                figures[approach].append(
                    turn(url, approach, arguments.processes, arguments.seconds,
                         arguments.hold_ms / 1000)
                )  # fmt: skip
    finally:
        drop(name)
    report(arguments, figures)


def report(arguments: argparse.Namespace, figures: dict[str, list[tuple[float, float]]]) -> None:
    print(
        f"{arguments.processes} processes, {arguments.seconds:g} s a turn, {arguments.repeat}"
        f" turns each, hold {arguments.hold_ms:g} ms; {os.cpu_count()} CPUs,"
        f" Python {platform.python_version()}"
    )
    print()
    print("| approach | entries/s (median) | min – max | mean ms in one append (median) |")
    print("|---|--:|--:|--:|")
    labels = {"old": "locked `audit_head` (before 0006)", "new": "sequence + MAC (0006)"}
    for approach, turns in figures.items():
        rates = [rate for rate, _ in turns]
        waits = [wait for _, wait in turns]
        print(
            f"| {labels[approach]} | {statistics.median(rates):,.0f} |"
            f" {min(rates):,.0f} – {max(rates):,.0f} | {statistics.median(waits):.2f} |"
        )


if __name__ == "__main__":
    main()

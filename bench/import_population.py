"""Benchmark: `healthcode import` of a million events into SQLite and PostgreSQL, and re-evaluation.

    .venv/bin/python bench/import_population.py [--persons 232200] [--seed 1] [--batch-size 1000]
        [--databases sqlite postgresql] [--touched 100000] [--postgres-url URL]

Generates the population (bench/population.py; 232,200 persons ≈ 1,000,000 events) into
bench/out/import-<persons>/ unless it is there already. Then, for each database, in a fresh data
directory (new keyring, new SQLite file or new PostgreSQL database `healthcode_bench_<pid>`,
dropped at the end):

1. the floor: the same number of small rows inserted with the driver's own executemany, one
   transaction per batch, as durable as the real thing (SQLite WAL + synchronous=FULL);
2. the command: `healthcode import events events.jsonl --json --batch-size N`, timed as a
   subprocess (start-up, validation, sealing, writing, re-evaluating every touched person);
3. a risk-area change: `healthcode import areas` of a list that rates the first Hangzhou districts
   medium risk, as many as it takes for their trips to reach `--touched` persons; the number of
   persons re-evaluated must equal the count taken from the events file.

On a PostgreSQL server with autovacuum off (as the development server here), the benchmark runs
ANALYZE every minute while a command runs, standing in for the autoanalyze every production server
does: without statistics the planner takes `person_id IN (…500 ids…)` for most of the facts table
and scans all of it for every batch, and the import slows down quadratically.

The `json.loads` loop of bench/assess_population.py is timed in the same run as the floor of any
Python JSON Lines tool. Everything is printed as Markdown for bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import population
from assess_population import BASELINE, cpu_model, ensure_population, healthcode_command

CLOCK = "2021-03-20T12:00:00+08:00"
AREA_FROM = "2021-03-20T00:00:00+08:00"
DEFAULT_PERSONS = 232_200  # 4.31 events a person: just over a million events (seed 1)
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
FLOOR_ROW = b"\x00" * 64  # about the size of a fact's sealed payload


@dataclass(frozen=True)
class Timed:
    seconds: float
    report: dict[str, object]


@dataclass(frozen=True)
class Result:
    database: str
    floor: float
    events: Timed
    areas: Timed
    size_mb: float
    analyzed: bool  # ANALYZE stood in for the server's autovacuum


def run_timed(command: list[str], env: dict[str, str]) -> Timed:
    """Run `command`, which must exit 0 and print one JSON report."""
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own interpreter and console script, fixed arguments
        command, env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1:] or ["no message"]
        raise SystemExit(f"{' '.join(command[-4:])} exited with {done.returncode}: {reason[0]}")
    return Timed(elapsed, json.loads(done.stdout) if done.stdout.startswith("{") else {})


def trip_counties(events: Path) -> dict[str, set[tuple[str, str]]]:
    """Persons (id type, number) with a trip into each county (6 digits), read from the file."""
    persons: dict[str, set[tuple[str, str]]] = defaultdict(set)
    with events.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["type"] == "trip":
                who = record["person"]
                persons[record["region"][:6]].add((who["id_type"], who["id_number"]))
    return persons


def area_change(events: Path, touched: int, out: Path) -> tuple[Path, list[str], int]:
    """A risk-area list rating Hangzhou districts, enough of them to reach `touched` persons."""
    by_county = trip_counties(events)
    chosen: list[str] = []
    reached: set[tuple[str, str]] = set()
    for county in population.HOME_REGIONS:
        if len(reached) >= touched:
            break
        chosen.append(county)
        reached |= by_county[county]
    records: list[dict[str, object]] = [
        {"region": county, "level": "medium", "effective_from": AREA_FROM} for county in chosen
    ]
    path = out / "area_change.jsonl"
    population.write_jsonl(path, records)
    return path, chosen, len(reached)


def sqlite_floor(path: Path, rows: int, batch: int) -> float:
    """Bare executemany of `rows` small rows, one durable transaction per batch."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE floor (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
    started = time.perf_counter()
    for start in range(0, rows, batch):
        connection.execute("BEGIN IMMEDIATE")
        values = [(start + i, FLOOR_ROW) for i in range(min(batch, rows - start))]
        connection.executemany("INSERT INTO floor VALUES (?, ?)", values)
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def postgres_floor(url: str, rows: int, batch: int) -> float:
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as connection:
        connection.execute("CREATE TABLE floor (id bigint PRIMARY KEY, payload bytea NOT NULL)")
        connection.commit()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for start in range(0, rows, batch):
                values = [(start + i, FLOOR_ROW) for i in range(min(batch, rows - start))]
                cursor.executemany("INSERT INTO floor VALUES (%s, %s)", values)
                connection.commit()
        elapsed = time.perf_counter() - started
        connection.execute("DROP TABLE floor")
    return elapsed


def installation_env(workspace: Path, url: str) -> dict[str, str]:
    """The environment of a benchmark's installation: its data folder, its database, the fixed
    clock the synthetic population is dated by, and the actor its audit entries name."""
    return {
        "HEALTHCODE_DATA_DIR": str(workspace),
        "HEALTHCODE_DATABASE_URL": url,
        "HEALTHCODE_CLOCK": CLOCK,
        "HEALTHCODE_ACTOR": "bench",
    }


@contextmanager
def fresh_database(kind: str, workspace: Path, admin_url: str) -> Iterator[str]:
    """The URL of a new, empty database of `kind`; a PostgreSQL one is dropped afterwards."""
    if kind == "sqlite":
        (workspace / "healthcode.db").unlink(missing_ok=True)  # a kept folder's last run
        yield f"sqlite:///{workspace / 'healthcode.db'}"
        return
    name = f"healthcode_bench_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def analyzing(kind: str, url: str) -> AbstractContextManager[bool]:
    return autoanalyze(url) if kind == "postgresql" else nullcontext(False)


@contextmanager
def autoanalyze(url: str, every: float = 60.0) -> Iterator[bool]:
    """While the block runs, ANALYZE every `every` s if the server's own autovacuum is off."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        needed = connection.scalar(text("SHOW autovacuum")) == "off"
    stop = threading.Event()

    def analyze() -> None:
        while not stop.wait(every):
            with engine.connect() as connection:
                connection.execute(text("ANALYZE"))

    worker = threading.Thread(target=analyze, daemon=True)
    if needed:
        worker.start()
    try:
        yield needed
    finally:
        stop.set()
        if needed:
            worker.join()
        engine.dispose()


def database_size_mb(url: str, workspace: Path) -> float:
    if url.startswith("sqlite"):
        return sum(path.stat().st_size for path in workspace.glob("healthcode.db*")) / 1e6
    engine = create_engine(url)
    with engine.connect() as connection:
        size = connection.scalar(text("SELECT pg_database_size(current_database())"))
    engine.dispose()
    return int(size or 0) / 1e6


def measure(kind: str, files: tuple[Path, Path], args: argparse.Namespace, rows: int) -> Result:
    events, areas = files
    workspace = args.out / f"run-{kind}"
    shutil.rmtree(workspace, ignore_errors=True)
    workspace.mkdir(parents=True)
    with fresh_database(kind, workspace, args.postgres_url) as url:
        env = os.environ | installation_env(workspace, url)
        command = healthcode_command()
        for setup in (["keys", "init"], ["db", "upgrade"]):
            run_timed([*command, *setup], env)
        if kind == "sqlite":
            floor = sqlite_floor(workspace / "floor.db", rows, args.batch_size)
        else:
            floor = postgres_floor(url, rows, args.batch_size)
        print(f"{kind}: floor {floor:.1f} s; importing {events.name} …", file=sys.stderr)
        batch = ["--json", "--batch-size", str(args.batch_size)]
        with analyzing(kind, url) as analyzed:
            imported = run_timed([*command, "import", "events", str(events), *batch], env)
        print(f"{kind}: events {imported.seconds:.1f} s; the area change …", file=sys.stderr)
        with analyzing(kind, url):
            changed = run_timed([*command, "import", "areas", str(areas), *batch], env)
        print(f"{kind}: areas {changed.seconds:.1f} s", file=sys.stderr)
        size = database_size_mb(url, workspace)
        return Result(kind, floor, imported, changed, size, analyzed)


def report(manifest: dict[str, object], events: Path, args: argparse.Namespace) -> None:
    print(
        f"Population: {int(str(manifest['persons'])):,} persons, "
        f"{int(str(manifest['events'])):,} events ({events.stat().st_size / 1e6:.0f} MB of JSON "
        f"Lines), seed {manifest['seed']}; `--batch-size {args.batch_size}`, "
        f"`HEALTHCODE_CLOCK={CLOCK}`.  "
    )
    print(
        f"Machine: {os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}.\n"
    )


def report_imports(results: list[Result], events: int, json_floor: float) -> None:
    print("| run | s | events/s | ÷ `json.loads` floor | ÷ database floor | database size |")
    print("|---|--:|--:|--:|--:|--:|")
    print(f"| `json.loads` of every line | {json_floor:.1f} | {events / json_floor:,.0f} "
          f"| 1.0× | | |")  # fmt: skip
    for result in results:
        print(f"| {result.database}: executemany of {events:,} small rows | {result.floor:.1f} "
              f"| {events / result.floor:,.0f} | | 1.0× | |")  # fmt: skip
    for result in results:
        seconds = result.events.seconds
        accepted = int(str(result.events.report["accepted"]))
        if accepted != events:
            raise SystemExit(f"{result.database}: accepted {accepted} of {events} events")
        print(f"| {result.database}: `healthcode import events` | {seconds:.1f} "
              f"| {events / seconds:,.0f} | {seconds / json_floor:.0f}× "
              f"| {seconds / result.floor:.0f}× | {result.size_mb:,.0f} MB |")  # fmt: skip


def report_notes(results: list[Result]) -> None:
    if any(result.analyzed for result in results):
        print(
            "\nThe PostgreSQL server runs with autovacuum off: the benchmark ran ANALYZE "
            "every 60 s while each command ran, as autoanalyze would."
        )


def report_areas(results: list[Result], counties: list[str], reached: int) -> None:
    print(f"\nArea change: {', '.join(counties)} rated medium from {AREA_FROM}; their trips reach "
          f"{reached:,} persons (counted from the events file).\n")  # fmt: skip
    print("| database | `healthcode import areas` s | persons re-evaluated | persons/s |")
    print("|---|--:|--:|--:|")
    for result in results:
        evaluated = int(str(result.areas.report["reevaluated"]))
        if evaluated != reached:
            raise SystemExit(f"{result.database}: re-evaluated {evaluated}, expected {reached}")
        seconds = result.areas.seconds
        print(f"| {result.database} | {seconds:.1f} | {evaluated:,} | {evaluated / seconds:,.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--persons", type=int, default=DEFAULT_PERSONS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=1000, help="records a transaction")
    parser.add_argument("--touched", type=int, default=100_000, help="persons the area reaches")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"],
                        choices=["sqlite", "postgresql"])  # fmt: skip
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL, help="an admin connection")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    args.out = args.out or population.DEFAULT_OUT / f"import-{args.persons}"
    manifest = ensure_population(args.out, args.persons, args.seed, regenerate=False)
    events = args.out / "events.jsonl"
    count = int(str(manifest["events"]))
    areas, counties, reached = area_change(events, args.touched, args.out)
    json_floor = run_timed([sys.executable, "-c", BASELINE, str(events)], dict(os.environ))
    results = [measure(kind, (events, areas), args, count) for kind in args.databases]
    report(manifest, events, args)
    report_imports(results, count, json_floor.seconds)
    report_areas(results, counties, reached)
    report_notes(results)


if __name__ == "__main__":
    main()

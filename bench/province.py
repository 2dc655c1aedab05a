"""Benchmark: a synthetic province end to end on PostgreSQL, with floors and peak memory per step.

    .venv/bin/python bench/province.py [--persons 1000000] [--seed 1] [--touched N]
        [--batch-size 1000] [--partitions 64] [--page 1000] [--floor-persons 200000]
        [--reevaluate-command "healthcode …"] [--postgres-url URL] [--out DIR]

In one run on one machine, each step a subprocess whose peak memory (max RSS, from GNU time) is
reported with its time:

1. **generate** the population (bench/population.py, streaming, bounded memory) into
   bench/out/province-<persons>/, unless it is there already with the same arguments;
2. the **Polars floor** of bench/columnar.py (imported, not copied) on the first `--floor-persons`
   persons of the same seed (the generator makes persons in order, so they are the same persons):
   what any columnar engine costs for the features and colours of the default ruleset;
3. `healthcode import events` into a fresh PostgreSQL database, as bench/import_population.py
   runs it (its helpers are imported: fresh database, ANALYZE every 60 s when autovacuum is off),
   with `HEALTHCODE_CLOCK=2021-03-20T12:00:00+08:00`, then one scheduled round (`healthcode worker
   --once`), timed with it: once the import leaves its re-evaluation to a population job, the round
   runs it (before, the round has nothing to do and costs its start-up);
4. the **COPY floor**: as many rows as events, each the size of an average stored fact (the
   sealed payload's mean length, read from the database just loaded, plus person, source, event id,
   digest and instants, with the facts table's indexes) written with COPY into a fresh table;
5. a **full re-evaluation**: by default a new version of the default ruleset is drafted and
   approved by a second person (valid from before the clock), and `healthcode worker --once`
   brings everyone under it (the scheduled round's ruleset activation; after the population jobs
   of issue #12 the same round runs them). `--reevaluate-command` replaces the worker command
   (split like a shell line; the leading `healthcode` is this checkout's command);
6. **one partition**: `reevaluate` (services/evaluation.py) page by page, one transaction a page,
   over the persons of the first 1/`--partitions` of the buckets (a uniform sample), which is
   what a partition job does; extrapolated linearly in persons to the whole population
   and to 65 M persons (4.3 facts a person, as here);
7. an **area change**: `healthcode import areas` rating as many Hangzhou districts medium risk as
   it takes for their trips to reach `--touched` persons (bench/import_population.py's choice),
   checking that exactly that many were re-evaluated (then a scheduled round, as after the import;
   when a population job did the work the command's own count is not checked).

Everything is printed as Markdown for bench/README.md; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, select, text, tuple_
from sqlalchemy.engine import make_url

import healthcode.rulesets
import population
from assess_population import AT, Files, cpu_model, healthcode_command, kept
from columnar import floor
from healthcode.db.buckets import BUCKETS
from healthcode.db.schema import persons as persons_table
from healthcode.domain.assessment import group_by_person
from healthcode.domain.columnar.frames import areas_frame, population_frame
from healthcode.exchange import read_facts, read_risk_areas, read_severe_designations
from healthcode.rulesets import DEFAULT_RULESET, read_ruleset_document
from healthcode.services.evaluation import active_ruleset, reevaluate
from healthcode.services.runtime import open_runtime, system_actor
from healthcode.settings import Settings
from import_population import (
    CLOCK,
    POSTGRES_ADMIN_URL,
    analyzing,
    area_change,
    database_size_mb,
    fresh_database,
    installation_env,
)

HERE = Path(__file__).resolve()
PROVINCE = 65_000_000
FACTS_A_PERSON = 4.3
BENCH_VERSION = "1.1.0-province-bench"
BENCH_VALID_FROM = "2021-03-19T00:00:00+08:00"  # before the clock: due at once


@dataclass(frozen=True)
class Step:
    name: str
    seconds: float
    peak_mib: float | None  # None: done in this process, not measured apart
    report: dict[str, object]


GNU_TIME = Path("/usr/bin/time")


def run_measured(name: str, command: list[str], env: dict[str, str] | None = None) -> Step:
    """Run `command` to completion; its time, its peak RSS and its JSON report if any.

    The peak comes from GNU time's `%M` when /usr/bin/time exists: a child forked from this
    process inherits this process's high-water mark (Linux carries it over `exec`), so `wait4`
    here would report at least this harness's own memory; GNU time is small and forks the command
    itself. Without it, `wait4`'s figure is an upper bound.
    """
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".rss") as rss,
    ):
        wrapped = command
        if GNU_TIME.exists():
            wrapped = [str(GNU_TIME), "-f", "%M", "-o", rss.name, *command]
        started = time.perf_counter()
        child = subprocess.Popen(wrapped, env=env, stdout=out, stderr=err)  # noqa: S603 - our own commands
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
        measured = rss.read().strip().splitlines()
    if child.returncode != 0:
        reason = stderr.strip().splitlines()[-1:] or ["no message"]
        raise SystemExit(
            f"{name}: {shlex.join(command[-4:])} exited {child.returncode}: {reason[0]}"
        )
    report: dict[str, object] = {}
    last = stdout.strip().splitlines()[-1:] if stdout.strip() else []
    if last and last[0].startswith("{"):
        report = json.loads(last[0])
    report["stderr"] = stderr
    kib = int(measured[-1]) if measured and measured[-1].isdigit() else usage.ru_maxrss
    peak = kib / 1024
    print(f"{name}: {elapsed:.1f} s, peak {peak:,.0f} MiB", file=sys.stderr)
    return Step(name, elapsed, peak, report)


def ensure_generated(folder: Path, persons: int, seed: int) -> Step | None:
    """Generate unless the files fit (population.json); None when they were there already."""
    manifest = folder / population.MANIFEST
    if manifest.exists() and (folder / "events.jsonl").exists():
        known = json.loads(manifest.read_text(encoding="utf-8"))
        wanted = (population.GENERATOR_VERSION, persons, seed)
        if (known["generator_version"], known["persons"], known["seed"]) == wanted:
            return None
    script = str(HERE.parent / "population.py")
    arguments = ["--persons", str(persons), "--seed", str(seed), "--out", str(folder)]
    return run_measured(f"generate {persons:,}", [sys.executable, script, *arguments])


def manifest_of(folder: Path) -> dict[str, object]:
    manifest: dict[str, object] = json.loads((folder / population.MANIFEST).read_text("utf-8"))
    return manifest


# --- the Polars floor, in a child process of its own (its memory is measured apart) -------------


def polars_floor_child(folder: Path, repeat: int = 2) -> None:
    """Print {"persons", "facts", "seconds"}: bench/columnar.py's floor, best of `repeat`."""
    files = Files.inside(folder)
    at = datetime.fromisoformat(AT)
    risk = kept(read_risk_areas(files.areas), "--areas")
    designations = kept(read_severe_designations(files.severe), "--severe")
    by_person, _ = group_by_person(kept(read_facts(files.events), "--events"))
    people = population_frame(by_person)
    areas = areas_frame(risk, designations)
    floor(people, areas, at)  # untimed: Polars' first query pays for its thread pool
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        floor(people, areas, at)
        times.append(time.perf_counter() - started)
    facts = sum(len(facts) for facts in by_person.values())
    print(json.dumps({"persons": len(by_person), "facts": facts, "seconds": min(times)}))


# --- one partition, in a child process of its own --------------------------------------------


def partition_child(partitions: int, page: int = 1000) -> None:
    """Re-evaluate 1/`partitions` of the persons page by page; print what was done.

    The persons of the first 1/`partitions` of the buckets (db/buckets.py: a stable hash of the
    random id, so a uniform sample), in (bucket, id) pages, one transaction a page, `reevaluate`
    under the ruleset in force keeping the shards' fact snapshots current: the work of one
    partition of a population job (services/population_jobs.py `_page`), without its lease and
    cursor writes.
    """
    width = BUCKETS // partitions
    share = width / BUCKETS
    runtime = open_runtime(Settings.from_environment())
    evaluated = changed = 0
    after: tuple[int, str] | None = None
    started = time.perf_counter()
    while True:
        with runtime.unit_of_work(system_actor("ruleset_activation")) as uow:
            query = (
                select(persons_table.c.bucket, persons_table.c.id)
                .where(persons_table.c.bucket < width)
                .order_by(persons_table.c.bucket, persons_table.c.id)
                .limit(page)
            )
            if after is not None:
                query = query.where(
                    tuple_(persons_table.c.bucket, persons_table.c.id) > tuple_(*after)
                )
            rows = [(row.bucket, row.id) for row in uow.connection.execute(query)]
            if not rows:
                break
            rules = active_ruleset(uow)
            causes: dict[str, str | None] = dict.fromkeys((pid for _, pid in rows), rules.label)
            result = reevaluate(uow, causes, cause="ruleset", ruleset=rules, refresh_snapshots=True)
            evaluated += result.evaluated
            changed += result.changed
            after = rows[-1]
            if len(rows) < page:
                break
    elapsed = time.perf_counter() - started
    print(
        json.dumps({"evaluated": evaluated, "changed": changed, "share": share, "seconds": elapsed})
    )


# --- the COPY floor ----------------------------------------------------------------------------


def mean_payload_bytes(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        mean = connection.scalar(text("SELECT avg(octet_length(payload_sealed)) FROM facts"))
    engine.dispose()
    return round(float(mean or 64))


def copy_floor(url: str, rows: int, payload_bytes: int, persons: int) -> float:
    """COPY `rows` fact-sized rows into a fresh table with the facts table's keys and indexes."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    payload = os.urandom(payload_bytes)
    digest = os.urandom(32)
    person_ids = [str(uuid.uuid4()) for _ in range(min(persons, 1_000_000))]
    with psycopg.connect(conninfo) as connection:
        connection.execute(
            "CREATE TABLE copy_floor (id bigint PRIMARY KEY, person_id varchar(36) NOT NULL, "
            "source varchar(16) NOT NULL, event_id varchar(128) NOT NULL, "
            "content_digest bytea NOT NULL, occurred_at timestamptz NOT NULL, "
            "payload_sealed bytea NOT NULL, recorded_at timestamptz NOT NULL, "
            "UNIQUE (source, event_id))"
        )
        connection.execute("CREATE INDEX ON copy_floor (person_id)")
        connection.commit()
        started = time.perf_counter()
        columns = (
            "id, person_id, source, event_id, content_digest, occurred_at, payload_sealed, "
            "recorded_at"
        )
        statement = f"COPY copy_floor ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            at = "2021-03-10 00:00:00+08"
            for row in range(rows):
                person = person_ids[row % len(person_ids)]
                copy.write_row((row, person, "health", f"HEA-{row:09d}", digest, at, payload, at))
        connection.commit()
        elapsed = time.perf_counter() - started
        connection.execute("DROP TABLE copy_floor")
        connection.commit()
    return elapsed


# --- the full re-evaluation ----------------------------------------------------------------------


def drained(step: Step, env: dict[str, str]) -> Step:
    """`step` followed by one scheduled round, which runs whatever population job it left.

    Once re-evaluation after an import or an area change is a population job of its own (issue
    #12), the command may return before the work is done; the round does it, and its time counts.
    Before that the round finds nothing to do and costs its start-up (a second or two).
    """
    round_ = run_measured(
        "scheduled round after it", [*healthcode_command(), "worker", "--once"], env
    )
    peaks = [value for value in (step.peak_mib, round_.peak_mib) if value is not None]
    report = step.report | {"drained_seconds": round_.seconds}
    return Step(step.name, step.seconds + round_.seconds, max(peaks, default=None), report)


def bench_ruleset(out: Path) -> Path:
    """The default ruleset as a new version, valid from before the clock: due once approved."""
    bundled = Path(healthcode.rulesets.__file__).parent / f"{DEFAULT_RULESET}.yaml"
    document = read_ruleset_document(bundled)
    document["version"] = BENCH_VERSION
    document["valid_from"] = BENCH_VALID_FROM
    path = out / "province-ruleset.json"
    path.write_text(json.dumps(document, ensure_ascii=False, default=str), encoding="utf-8")
    return path


def reevaluate_everyone(env: dict[str, str], out: Path, command: str | None) -> Step:
    healthcode = healthcode_command()
    path = bench_ruleset(out)
    document = json.loads(path.read_text(encoding="utf-8"))
    author, approver = (
        env | {"HEALTHCODE_ACTOR": "bench-author"},
        env | {"HEALTHCODE_ACTOR": "bench-approver"},
    )
    run_measured("draft", [*healthcode, "rules", "draft", str(path)], author)
    approve = ["rules", "approve", str(document["id"]), BENCH_VERSION]
    approved = run_measured("approve", [*healthcode, *approve], approver)
    if command:
        words = shlex.split(command)
        if words[0] == "healthcode":
            words = [*healthcode, *words[1:]]
    else:
        words = [*healthcode, "worker", "--once"]
    step = run_measured("full re-evaluation", words, env)
    # From approval on: after the population jobs of issue #12, approval may start the work.
    return Step(step.name, step.seconds + approved.seconds, step.peak_mib, step.report)


def activated(env: dict[str, str]) -> bool:
    listing = subprocess.run(  # noqa: S603 - our own command
        [*healthcode_command(), "rules", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    versions = json.loads(listing.stdout)
    return any(v["version"] == BENCH_VERSION and v["activated_at"] for v in versions)


def count_rows(url: str, table: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608 - fixed names
    engine.dispose()
    return int(count or 0)


# --- the run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    persons: int
    events: int
    generated: Step | None
    polars: Step
    imported: Step
    copy_seconds: float
    payload_bytes: int
    full: Step
    full_evaluated: int
    partition: Step
    areas: Step
    counties: list[str]
    reached: int
    size_mb: float
    analyzed: bool


def run(args: argparse.Namespace) -> Run:
    folder: Path = args.out
    generated = ensure_generated(folder, args.persons, args.seed)
    manifest = manifest_of(folder)
    events_file = folder / "events.jsonl"
    events = int(str(manifest["events"]))
    floor_persons = min(args.persons, args.floor_persons)
    floor_folder = folder if floor_persons == args.persons else folder / f"floor-{floor_persons}"
    ensure_generated(floor_folder, floor_persons, args.seed)
    polars = run_measured(
        "Polars floor", [sys.executable, str(HERE), "_polars-floor", str(floor_folder)]
    )
    touched = args.touched if args.touched is not None else min(1_000_000, args.persons // 2)
    areas_file, counties, reached = area_change(events_file, touched, folder)
    workspace = folder / "run-postgresql"
    shutil.rmtree(workspace, ignore_errors=True)  # a new keyring: `keys init` refuses an old one
    workspace.mkdir(parents=True)
    healthcode = healthcode_command()
    with fresh_database("postgresql", workspace, args.postgres_url) as url:
        env = os.environ | installation_env(workspace, url)
        for setup in (["keys", "init"], ["db", "upgrade"]):
            run_measured(" ".join(setup), [*healthcode, *setup], env)
        batch = ["--json", "--batch-size", str(args.batch_size)]
        with analyzing("postgresql", url) as analyzed:
            imported = run_measured(
                "import events", [*healthcode, "import", "events", str(events_file), *batch], env
            )
            imported = drained(imported, env)
        accepted = int(str(imported.report.get("accepted", -1)))
        if accepted != events:
            raise SystemExit(f"import accepted {accepted} of {events} events")
        payload_bytes = mean_payload_bytes(url)
        copy_seconds = copy_floor(url, events, payload_bytes, args.persons)
        print(f"COPY floor: {copy_seconds:.1f} s ({payload_bytes} B payloads)", file=sys.stderr)
        with analyzing("postgresql", url):
            full = reevaluate_everyone(env, folder, args.reevaluate_command)
        if not activated(env):
            raise SystemExit(f"the full re-evaluation did not activate {BENCH_VERSION}")
        full_evaluated = count_rows(url, "code_states")
        partition = run_measured(
            "one partition",
            [sys.executable, str(HERE), "_partition", str(args.partitions), str(args.page)],
            env,
        )
        with analyzing("postgresql", url):
            areas = run_measured(
                "area change", [*healthcode, "import", "areas", str(areas_file), *batch], env
            )
            areas = drained(areas, env)
        evaluated = int(str(areas.report.get("reevaluated", -1)))
        if evaluated != reached and not float(str(areas.report["drained_seconds"])) > 5:
            raise SystemExit(f"the area change re-evaluated {evaluated}, expected {reached}")
        if evaluated != reached:  # a population job did the work: its count is not in the report
            print(f"area change: the command re-evaluated {evaluated} itself", file=sys.stderr)
        size = database_size_mb(url, workspace)
    return Run(
        args.persons, events, generated, polars, imported, copy_seconds, payload_bytes, full,
        full_evaluated, partition, areas, counties, reached, size, analyzed,
    )  # fmt: skip


def peak(step: Step | None) -> str:
    return "" if step is None or step.peak_mib is None else f"{step.peak_mib / 1024:.2f} GiB"


def cells(*values: object) -> None:
    print("| " + " | ".join(str(value) for value in values) + " |")


def report(result: Run, args: argparse.Namespace) -> None:
    persons, events = result.persons, result.events
    print(
        f"Population: {persons:,} persons, {events:,} events, seed {args.seed}; PostgreSQL, "
        f"`--batch-size {args.batch_size}`, `HEALTHCODE_CLOCK={CLOCK}`.  "
    )
    print(
        f"Machine: {os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}.\n"
    )
    polars = result.polars.report
    polars_persons, polars_seconds = int(str(polars["persons"])), float(str(polars["seconds"]))
    polars_rate = polars_persons / polars_seconds
    copy_rate = events / result.copy_seconds
    import_rate = events / result.imported.seconds
    full_rate = result.full_evaluated / result.full.seconds
    part = result.partition.report
    part_persons, part_seconds = int(str(part["evaluated"])), float(str(part["seconds"]))
    part_rate = part_persons / part_seconds
    area_rate = result.reached / result.areas.seconds
    print("| step | s | rate | ÷ its floor | peak memory |")
    print("|---|--:|--:|--:|--:|")
    if result.generated is not None:
        made = result.generated
        rate = f"{persons / made.seconds:,.0f} persons/s"
        cells(f"generate {persons:,} persons (population.py)", f"{made.seconds:.1f}", rate, "",
              peak(made))  # fmt: skip
    cells(f"floor: COPY of {events:,} fact-sized rows ({result.payload_bytes} B payload, the "
          "facts table's indexes)", f"{result.copy_seconds:.1f}", f"{copy_rate:,.0f} rows/s",
          "1", "")  # fmt: skip
    cells(f"floor: Polars, features + colours of {polars_persons:,} persons (bench/columnar.py)",
          f"{polars_seconds:.2f}", f"{polars_rate:,.0f} persons/s", "1",
          f"{peak(result.polars)} (reading the file as `Fact`s)")  # fmt: skip
    drained = float(str(result.imported.report["drained_seconds"]))
    cells(f"`healthcode import events` + a scheduled round ({drained:.1f} s)",
          f"{result.imported.seconds:.1f}",
          f"{import_rate:,.0f} events/s", f"1/{copy_rate / import_rate:,.0f} of COPY",
          peak(result.imported))  # fmt: skip
    cells(f"full re-evaluation, approval to done ({result.full_evaluated:,} persons)",
          f"{result.full.seconds:.1f}", f"{full_rate:,.0f} persons/s",
          f"1/{polars_rate / full_rate:,.0f} of Polars", peak(result.full))  # fmt: skip
    cells(f"one partition (1/{args.partitions}: {part_persons:,} persons, pages of {args.page:,})",
          f"{part_seconds:.1f}",
          f"{part_rate:,.0f} persons/s", f"1/{polars_rate / part_rate:,.0f} of Polars",
          peak(result.partition))  # fmt: skip
    drained = float(str(result.areas.report["drained_seconds"]))
    cells(f"area change reaching {result.reached:,} persons (`healthcode import areas` + a "
          f"scheduled round, {drained:.1f} s)", f"{result.areas.seconds:.1f}",
          f"{area_rate:,.0f} persons/s", "", peak(result.areas))  # fmt: skip
    print(
        f"\nArea change: {', '.join(result.counties)} rated medium; their trips reach "
        f"{result.reached:,} persons (counted from the events file). Database at the end: "
        f"{result.size_mb:,.0f} MB."
    )
    if result.analyzed:
        print("The server runs with autovacuum off: ANALYZE ran every 60 s during each command.")
    print(
        "\n**Extrapolated**, not measured: linear in persons, 4.3 facts a person; the two-process "
        "column assumes the work splits over both cores, which today's import does not do.\n"
    )
    print("| to | from | one process | 2 processes | processes for ≤ 5 min |")
    print("|---|---|--:|--:|--:|")
    rows = [
        (f"{persons:,} persons, full re-evaluation", f"the partition × {args.partitions}",
         persons / part_rate),
        (f"{PROVINCE:,} persons, full re-evaluation", "the partition", PROVINCE / part_rate),
        (f"{PROVINCE:,} persons, full re-evaluation", "the full run", PROVINCE / full_rate),
        (f"{PROVINCE:,} persons, full re-evaluation", "the Polars floor", PROVINCE / polars_rate),
        ("an area change reaching 1,000,000 persons", "the area change", 1e6 / area_rate),
        (f"{PROVINCE:,} persons, import", "the import", PROVINCE * FACTS_A_PERSON / import_rate),
        (f"{PROVINCE:,} persons, COPY of the facts", "the COPY floor",
         PROVINCE * FACTS_A_PERSON / copy_rate),
    ]  # fmt: skip
    for name, source, seconds in rows:
        cells(
            name, source, duration(seconds), duration(seconds / 2), f"{math.ceil(seconds / 300):,}"
        )
    ten = 10_000_000
    total = ten * FACTS_A_PERSON / import_rate + ten / full_rate + 1e6 / area_rate
    if result.generated is not None:
        total += ten / persons * result.generated.seconds
    print(
        f"\nA `--persons {ten:,}` run at these rates: {duration(total)} on this machine "
        "(generation, import, full re-evaluation, an area change reaching 1,000,000 persons)."
    )


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_polars-floor":
        polars_floor_child(Path(sys.argv[2]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_partition":
        partition_child(int(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--touched", type=int, help="persons the area change reaches "
                        "(default: 1,000,000 or half the persons, whichever is fewer)")  # fmt: skip
    parser.add_argument("--batch-size", type=int, default=1000, help="records a transaction")
    parser.add_argument("--partitions", type=int, default=64, help="the partition is 1/N")
    parser.add_argument("--page", type=int, default=1000,
                        help="persons a transaction in the partition run")  # fmt: skip
    parser.add_argument("--floor-persons", type=int, default=200_000,
                        help="persons of the Polars floor (in memory)")  # fmt: skip
    parser.add_argument("--reevaluate-command", help="replaces `healthcode worker --once`")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL, help="an admin connection")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    args.out = args.out or population.DEFAULT_OUT / f"province-{args.persons}"
    report(run(args), args)


if __name__ == "__main__":
    main()

"""Benchmark: `healthcode import events` into PostgreSQL against a bare COPY, load phase apart.

    .venv/bin/python bench/import_load.py [--persons 20000] [--seed 1] [--batch-size 1000]
        [--workers 0 2] [--repeat 1] [--postgres-url URL] [--src OTHER_CHECKOUT/src]

Generates the population (bench/population.py) into bench/out/import-load-<persons>/ unless it is
there already. Then, in turns (`--repeat`), each in a fresh PostgreSQL database and data folder,
for every `--workers` count:

1. **the command**: `healthcode import events events.jsonl --json --batch-size N --workers W`,
   timed as a subprocess: start-up, the load, and the population job at its end that
   re-evaluates every person the import touched (`record_batch(defer=True)`, then `run_job`);
2. **the load alone**: `cli.importer.load_events` in a child process, timed inside it from its
   first record to its last commit: reading, validating, digesting, sealing and writing every
   batch, without start-up and without the re-evaluation job;
3. **the COPY floor** (bench/province.py's `copy_floor`, imported): as many rows as events, each
   the size of an average stored fact, with the facts table's keys and indexes, into a fresh
   table of the same database, right after the load.

With `--src`, the commands run another checkout's code (`PYTHONPATH`), for the figures before a
change; code without `--workers` runs as it is (give `--workers 0`). Ratios are to the floor of
the same turn. ANALYZE runs every 60 s while a command runs when the
server's autovacuum is off (bench/import_population.py's `analyzing`). Markdown on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from assess_population import cpu_model, healthcode_command
from healthcode.exchange import parse_fact, read_parsed
from import_population import CLOCK, POSTGRES_ADMIN_URL, analyzing, fresh_database, installation_env
from province import copy_floor, ensure_generated, manifest_of, mean_payload_bytes

HERE = Path(__file__).resolve()


@dataclass(frozen=True)
class Turn:
    workers: int
    command: float
    load: float
    floor: float
    cpu: dict[str, float]


def load_child(events: Path, batch_size: int, workers: int) -> None:
    """Print {"accepted", "seconds", "cpu"}: `load_events` alone, in this process, with `workers`;
    `cpu` is the CPU seconds of this process (the writer), of its workers, and of its database
    session's server process (read from /proc: the server is on this machine).

    Code from before ADR 0014 (`--src`) has no `load_events`: its own loop of batches is run
    instead, as its `import_feed` ran it before the re-evaluation job.
    """
    from healthcode.cli import context, importer  # noqa: PLC0415 - here: `--src` code may lack parts

    runtime = context.runtime()
    report = importer.ImportReport()
    with runtime.engine.connect() as connection:  # the pool's one connection, the import's too
        backend = int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
    server, writer = server_cpu(backend), time.process_time()
    started = time.perf_counter()
    if not hasattr(importer, "load_events"):
        records = read_parsed(events, lambda f, where: (where, parse_fact(f, where)))
        for batch in importer._batches(records, batch_size, report):
            importer._store(runtime, importer.Feed.EVENTS, batch, report)
    else:
        from healthcode.services.fact_batches import worker_pool  # noqa: PLC0415 - ADR 0014's

        with worker_pool(workers, runtime.settings.keys_dir) as pool:
            importer.load_events(runtime, events, batch_size, pool, report)
    seconds = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = {
        "writer": time.process_time() - writer,
        "workers": children.ru_utime + children.ru_stime,
        "server": server_cpu(backend) - server,
    }
    print(json.dumps({"accepted": report.accepted, "seconds": seconds, "cpu": cpu}))


def server_cpu(pid: int) -> float:
    """User and system CPU seconds of a local process so far (/proc/PID/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def prepared(env: dict[str, str]) -> None:
    for setup in (["keys", "init"], ["db", "upgrade"]):
        subprocess.run([*healthcode_command(), *setup], env=env, check=True, capture_output=True)  # noqa: S603


def one_turn(
    args: argparse.Namespace, events: Path, count: int, persons: int, workers: int
) -> Turn:
    out: Path = args.out
    timings: dict[str, float] = {}
    for step in ("command", "load"):
        workspace = out / f"run-{step}"
        subprocess.run(["rm", "-rf", str(workspace)], check=True)  # noqa: S603, S607
        workspace.mkdir(parents=True)
        with fresh_database("postgresql", workspace, args.postgres_url) as url:
            env = os.environ | source_path(args.src) | installation_env(workspace, url)
            prepared(env)
            batch = ["--batch-size", str(args.batch_size)]
            if args.src is None:
                batch += ["--workers", str(workers)]
            if step == "command":
                command = [*healthcode_command(), "import", "events", str(events), "--json", *batch]
            else:
                sizes = [str(args.batch_size), str(workers)]
                command = [sys.executable, str(HERE), "_load", str(events), *sizes]
            with analyzing("postgresql", url):
                started = time.perf_counter()
                done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)  # noqa: S603
                elapsed = time.perf_counter() - started
            report = json.loads(done.stdout.strip().splitlines()[-1])
            if report["accepted"] != count:
                raise SystemExit(f"{step}: accepted {report['accepted']} of {count} events")
            timings[step] = elapsed if step == "command" else float(report["seconds"])
            if step == "load":
                cpu = {name: float(value) for name, value in report["cpu"].items()}
            if step == "load":
                payload = mean_payload_bytes(url)
                timings["floor"] = copy_floor(url, count, payload, persons)
        print(f"workers {workers}, {step}: {timings[step]:.2f} s", file=sys.stderr)
    return Turn(workers, timings["command"], timings["load"], timings["floor"], cpu)


def source_path(src: Path | None) -> dict[str, str]:
    """PYTHONPATH for another checkout's `src` (it comes before this venv's editable install)."""
    return {} if src is None else {"PYTHONPATH": str(src.resolve())}


def report(turns: list[Turn], count: int, args: argparse.Namespace) -> None:
    print(
        f"Population: {args.persons:,} persons, {count:,} events, seed {args.seed}; "
        f"`--batch-size {args.batch_size}`, `HEALTHCODE_CLOCK={CLOCK}`.  "
    )
    print(
        f"Machine: {os.cpu_count()} CPUs ({cpu_model()}), Python {sys.version.split()[0]}; "
        f"{len(turns) // len(args.workers)} turn(s), medians.\n"
    )
    speed, cpu = [], []
    for workers in args.workers:
        mine = [turn for turn in turns if turn.workers == workers]
        floor = statistics.median(count / t.floor for t in mine)
        load = statistics.median(t.load for t in mine)
        command = statistics.median(t.command for t in mine)
        load_ratio = statistics.median(t.floor / t.load for t in mine)
        command_ratio = statistics.median(t.floor / t.command for t in mine)
        speed.append(
            f"| {workers} | {floor:,.0f} | {load:.2f} | {count / load:,.0f} | {load_ratio:.3f} "
            f"| {command:.2f} | {count / command:,.0f} | {command_ratio:.3f} |"
        )
        per = {
            name: statistics.median(t.cpu[name] for t in mine) / count * 1e6
            for name in ("writer", "workers", "server")
        }
        cpu.append(
            f"| {workers} | {per['writer']:.0f} | {per['workers']:.0f} | {per['server']:.0f} "
            f"| {1e6 / per['writer']:,.0f} |"
        )
    print(
        "| `--workers` | COPY floor, rows/s | load alone: s | events/s | ÷ COPY "
        "| whole command: s | events/s | ÷ COPY |\n|--:|--:|--:|--:|--:|--:|--:|--:|"
    )
    print("\n".join(speed))
    print(
        "\n| `--workers` | CPU µs an event, load alone: writer | workers | the writer's server "
        "process | events/s the writer's CPU alone allows |\n|--:|--:|--:|--:|--:|"
    )
    print("\n".join(cpu))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_load":
        load_child(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL, help="an admin connection")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--src", type=Path, help="another checkout's src/ (before: main's)")
    args = parser.parse_args()
    args.out = args.out or HERE.parent / "out" / f"import-load-{args.persons}"
    ensure_generated(args.out, args.persons, args.seed)
    count = int(str(manifest_of(args.out)["events"]))
    events = args.out / "events.jsonl"
    turns = [
        one_turn(args, events, count, args.persons, workers)
        for _ in range(args.repeat)
        for workers in args.workers
    ]
    report(turns, count, args)


if __name__ == "__main__":
    main()

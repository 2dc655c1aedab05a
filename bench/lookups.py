"""Benchmark: how long a registration look-up takes for a known number, a known number with a wrong
name, and an unknown number (issue #11: the answers should not tell them apart by time either).

    .venv/bin/python bench/lookups.py [--calls 300] [--repeat 5] [--cpu 0]

Pins the process to one CPU and takes turns over the three kinds `--repeat` times, so a noisy
spell on the shared machine hits all of them; each figure is the median time of one look-up (one
transaction on SQLite, audit entry included). Each look-up is made by a fresh staff name, so the
per-staff limit never answers instead. Printed as Markdown for bench/README.md.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from healthcode.clock import FrozenClock
from healthcode.db.engine import connect
from healthcode.db.migrate import upgrade
from healthcode.domain.areas import RiskLevel
from healthcode.domain.facts import Fact, Person, PersonKey, Source, Vaccination
from healthcode.domain.identity import IdType, resident_id_check_digit
from healthcode.domain.timezones import CHINA_TIME
from healthcode.domain.venues import Venue
from healthcode.security.keyring import generate_keyring
from healthcode.security.vault import Vault
from healthcode.services.checkpoint.alternatives import check_by_registration
from healthcode.services.facts import record_facts
from healthcode.services.runtime import Actor, Runtime
from healthcode.settings import Settings

NOW = datetime(2021, 3, 20, 12, tzinfo=CHINA_TIME)


def number(first17: str) -> str:
    return first17 + resident_id_check_digit(first17)


PERSON = Person(IdType.RESIDENT_ID, number("33010619800101123"), "张小三")
STRANGER = PersonKey(IdType.RESIDENT_ID, number("33010619800101456"))
_staff = itertools.count()


def runtime_in(folder: Path) -> Runtime:
    settings = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'bench.db'}")
    engine = connect(settings.database_url)
    upgrade(engine)
    vault = Vault(generate_keyring(NOW))
    runtime = Runtime(settings, engine, vault, FrozenClock(NOW), vault.blind_index("a", "b"))
    loader = Actor("bench", "department_client", "benchmark")
    with runtime.unit_of_work(loader) as uow:
        record_facts(uow, [Fact("v-1", Source.HEALTH, PERSON, NOW, Vaccination(1, "灭活疫苗"))])
    return runtime


def look_up(runtime: Runtime, key: PersonKey, name: str) -> Callable[[], object]:
    def once() -> object:
        staff = Actor(f"staff:bench-{next(_staff)}", "checkpoint", "benchmark")
        with runtime.unit_of_work(staff) as uow:
            return check_by_registration(uow, key, Venue.MALL, RiskLevel.MEDIUM, name=name)

    return once


def seconds_each(action: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        action()
    return (time.perf_counter() - start) / calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cpu", type=int, default=0)
    options = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {options.cpu})
    with tempfile.TemporaryDirectory() as folder:
        runtime = runtime_in(Path(folder))
        kinds = {
            "known number, right name": look_up(runtime, PERSON.key, "张小三"),
            "known number, wrong name": look_up(runtime, PERSON.key, "王五"),
            "unknown number": look_up(runtime, STRANGER, "张小三"),
        }
        for action in kinds.values():  # warm up: caches, statements, the first page reads
            seconds_each(action, 20)
        runs: dict[str, list[float]] = {kind: [] for kind in kinds}
        for _ in range(options.repeat):
            for kind, action in kinds.items():
                runs[kind].append(seconds_each(action, options.calls))
        runtime.engine.dispose()
    medians = {kind: statistics.median(times) for kind, times in runs.items()}
    unknown = medians["unknown number"]
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {sys.platform}\n")
    print("| look-up | median per call | relative to an unknown number |")
    print("|---|---:|---:|")
    for kind, seconds in medians.items():
        print(f"| {kind} | {seconds * 1e3:.2f} ms | {seconds / unknown:.2f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

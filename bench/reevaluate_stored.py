"""Benchmark: re-evaluating every stored code, per person against columnar (issue #12).

    .venv/bin/python bench/reevaluate_stored.py [--persons 20000] [--seed 1] [--page 1000]
        [--repeat 2] [--databases sqlite postgresql] [--postgres-url URL]

Generates the population (bench/population.py) into bench/out/reevaluate-<persons>/ unless it is
there already, and stores it in a fresh database of each kind through the services a department
feed uses (`record_facts` in batches, then the risk areas and severe designations), with new keys.
Then, a week after the population's instant (so that codes move), every person is re-evaluated
page by page as a ruleset activation does (`reevaluate`, one page per call, all pages in one
transaction that is rolled back, so that every turn starts from the same stored codes):

- per person: `columnar_from` above any page, the path every stored code took before issue #12;
- columnar: `columnar_from=0`;
- the deciding alone, each path (`services.deciding.decide_stored`: everything but the codes'
  loading and writing);
- and, timed alone over the same pages, the loading: the facts as the per-person path loads them
  (`FactStore.of_persons`: read, open the sealed payloads, parse them into facts), the records as
  the columnar path loads them (`records_of`: read and open) and frames them, and the codes
  (`StateStore.get_many`), which both paths load.

The paths take turns `--repeat` times; the best turn is reported (the machine is shared). Then one
call of each `--sizes` persons through each path (best of 5), for the threshold between them
(`services.deciding.COLUMNAR_FROM`). Figures are seconds, except those marked ms.
Printed as Markdown for bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from assess_population import AT, Files, cpu_model, ensure_population, kept
from healthcode.clock import FrozenClock
from healthcode.db.engine import connect
from healthcode.db.migrate import upgrade
from healthcode.domain.columnar.frames import population_frame_of_records
from healthcode.exchange import RecordError, read_facts, read_risk_areas, read_severe_designations
from healthcode.security.keyring import generate_keyring
from healthcode.security.vault import Vault
from healthcode.services.areas import record_risk_areas, record_severe_designations
from healthcode.services.deciding import decide_stored
from healthcode.services.evaluation import active_ruleset, reevaluate
from healthcode.services.facts import record_facts
from healthcode.services.runtime import Actor, Runtime, UnitOfWork
from healthcode.settings import Settings
from import_population import fresh_database

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ACTOR = Actor("bench", "system", "reevaluate")
LATER = datetime.fromisoformat(AT) + timedelta(days=7)
PER_PERSON = 10**9
LOAD_BATCH = 5000  # facts a transaction while filling the database


class _Discarded(Exception):  # noqa: N818 - a signal, not an error
    """Ends a timed transaction: rolled back, so every turn starts from the same codes."""


def fill(url: str, folder: Path, files: Files) -> Runtime:
    """A runtime on a new database holding the population, recorded as a feed records it."""
    at = datetime.fromisoformat(AT)
    engine = connect(url)
    upgrade(engine)
    vault = Vault(generate_keyring(at))
    settings = Settings(data_dir=folder, database_url=url)
    runtime = Runtime(settings, engine, vault, FrozenClock(at), vault.blind_index("audit", "b"))
    # The generator sends some bad records on purpose, as feeds do: the import rejects them too.
    facts = [fact for fact in read_facts(files.events) if not isinstance(fact, RecordError)]
    for start in range(0, len(facts), LOAD_BATCH):
        with runtime.unit_of_work(ACTOR) as uow:
            record_facts(uow, facts[start : start + LOAD_BATCH])
    with runtime.unit_of_work(ACTOR) as uow:
        record_risk_areas(uow, kept(read_risk_areas(files.areas), "areas"))
        record_severe_designations(uow, kept(read_severe_designations(files.severe), "severe"))
    if url.startswith("postgresql"):
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
    return runtime


def pages(uow: UnitOfWork, size: int) -> list[list[str]]:
    found, after = [], None
    while page := uow.people.person_ids(after, size):
        found.append(page)
        after = page[-1]
    return found


def timed_pass(runtime: Runtime, size: int, work: Callable[[UnitOfWork, list[str]], int]) -> float:
    """Seconds for `work` over every page, in one transaction rolled back afterwards."""
    with contextlib.suppress(_Discarded), runtime.unit_of_work(ACTOR) as uow:
        uow.now = LATER
        all_pages = pages(uow, size)
        started = time.perf_counter()
        for page in all_pages:
            work(uow, page)
        elapsed = time.perf_counter() - started
        raise _Discarded
    return elapsed


def reevaluating(columnar_from: int) -> Callable[[UnitOfWork, list[str]], int]:
    def work(uow: UnitOfWork, page: list[str]) -> int:
        causes = dict.fromkeys(page, "bench")
        return reevaluate(uow, causes, "ruleset", columnar_from=columnar_from).changed

    return work


def deciding(columnar_from: int) -> Callable[[UnitOfWork, list[str]], int]:
    def work(uow: UnitOfWork, page: list[str]) -> int:
        return len(decide_stored(uow, page, active_ruleset(uow), columnar_from=columnar_from))

    return work


def loading_facts(uow: UnitOfWork, page: list[str]) -> int:
    return len(uow.facts.of_persons(page))


def loading_records(uow: UnitOfWork, page: list[str]) -> int:
    return len(uow.facts.records_of(page))


def framing_records(uow: UnitOfWork, page: list[str]) -> int:
    records = uow.facts.records_of(page)
    return len(population_frame_of_records({pid: records.get(pid, []) for pid in page}).facts)


def loading_codes(uow: UnitOfWork, page: list[str]) -> int:
    return len(uow.states.get_many(page))


WORKS = {
    "re-evaluate, per person": reevaluating(PER_PERSON),
    "re-evaluate, columnar": reevaluating(0),
    "of which deciding (load, decide, review instants), per person": deciding(PER_PERSON),
    "of which deciding (load, decide, review instants), columnar": deciding(0),
    "loading the facts as facts (`of_persons`)": loading_facts,
    "loading the records (`records_of`)": loading_records,
    "the records loaded and framed (`population_frame_of_records`)": framing_records,
    "loading the codes (`get_many`)": loading_codes,
}


def one_call(runtime: Runtime, size: int, columnar_from: int, repeat: int = 5) -> float:
    """Milliseconds of one `reevaluate` call of `size` persons (the best of `repeat`)."""
    best = float("inf")
    for _ in range(repeat):
        with contextlib.suppress(_Discarded), runtime.unit_of_work(ACTOR) as uow:
            uow.now = LATER
            causes = dict.fromkeys(uow.people.person_ids(None, size), "bench")
            started = time.perf_counter()
            reevaluate(uow, causes, "ruleset", columnar_from=columnar_from)
            best = min(best, time.perf_counter() - started)
            raise _Discarded
    return best * 1000


def measure(kind: str, folder: Path, files: Files, args: argparse.Namespace) -> dict[str, float]:
    with fresh_database(kind, folder, args.postgres_url) as url:
        started = time.perf_counter()
        runtime = fill(url, folder, files)
        print(f"{kind}: filled in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        best: dict[str, float] = {}
        for turn in range(args.repeat):
            for name, work in WORKS.items():
                seconds = timed_pass(runtime, args.page, work)
                best[name] = min(best.get(name, seconds), seconds)
                print(f"{kind} turn {turn + 1}: {name} {seconds:.2f} s", file=sys.stderr)
        for size in args.sizes:
            for path, threshold in (("per person", PER_PERSON), ("columnar", 0)):
                best[f"one call of {size}, {path} (ms)"] = one_call(runtime, size, threshold)
        runtime.engine.dispose()
        return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 30, 50, 100, 300])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL)
    args = parser.parse_args()
    folder = Path(__file__).parent / "out" / f"reevaluate-{args.persons}"
    manifest = ensure_population(folder, args.persons, args.seed, regenerate=False)
    files = Files.inside(folder)
    results = {kind: measure(kind, folder, files, args) for kind in args.databases}
    print(
        f"{args.persons:,} persons, {manifest['events']:,} events (seed {args.seed}), pages of "
        f"{args.page}, best of {args.repeat}. Machine: {cpu_model()}, Python "
        f"{platform.python_version()}.\n"
    )
    kinds = list(results)
    print("| | " + " | ".join(kinds) + " |")
    print("|---|" + "--:|" * len(kinds))
    for name in results[kinds[0]]:
        print(f"| {name} | " + " | ".join(f"{results[k][name]:.2f}" for k in kinds) + " |")
    for kind in kinds:
        best = results[kind]
        speedup = best["re-evaluate, per person"] / best["re-evaluate, columnar"]
        print(f"\n{kind}: columnar {speedup:.1f}× faster per pass", end="")
    print()


if __name__ == "__main__":
    main()

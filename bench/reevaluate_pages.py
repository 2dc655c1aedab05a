"""Benchmark: pages of a population job re-evaluated on a stored database, rolled back after.

    .venv/bin/python bench/reevaluate_pages.py [--persons 10000] [--page 1000]

Reads the database, keyring and clock of the environment (`HEALTHCODE_DATABASE_URL`,
`HEALTHCODE_DATA_DIR`, `HEALTHCODE_CLOCK`), as the `healthcode` command does, and re-evaluates the
first `--persons` persons in (bucket, id) order, a page of `--page` at a time, as a partition of a
ruleset activation does (`reevaluate` under the ruleset in force), all of it in one transaction
rolled back at the end, so runs can alternate on the same stored codes. Prints persons a second.

To compare two versions of the code on the same database under the same load, alternate runs
with the other version's `src` first on `PYTHONPATH` (bench/README.md, "Fact snapshots"); with a
version whose `reevaluate` has no `refresh_snapshots`, it is not passed.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import time

from sqlalchemy import select

from healthcode.db.schema import persons
from healthcode.services.evaluation import active_ruleset, reevaluate
from healthcode.services.runtime import open_runtime, system_actor
from healthcode.settings import Settings


class _RolledBackError(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--page", type=int, default=1000)
    args = parser.parse_args()
    refresh = "refresh_snapshots" in inspect.signature(reevaluate).parameters
    options = {"refresh_snapshots": True} if refresh else {}
    runtime = open_runtime(Settings.from_environment())
    with runtime.unit_of_work(system_actor("bench")) as uow:
        ids = list(
            uow.connection.scalars(
                select(persons.c.id).order_by(persons.c.bucket, persons.c.id).limit(args.persons)
            )
        )
    started = time.perf_counter()
    with contextlib.suppress(_RolledBackError), runtime.unit_of_work(system_actor("bench")) as uow:
        rules = active_ruleset(uow)
        for at in range(0, len(ids), args.page):
            page = dict.fromkeys(ids[at : at + args.page], rules.label)
            reevaluate(uow, page, "ruleset", rules, **options)
        raise _RolledBackError
    seconds = time.perf_counter() - started
    print(json.dumps({"persons": len(ids), "seconds": seconds, "rate": len(ids) / seconds}))


if __name__ == "__main__":
    main()

"""What the end-of-epidemic destruction keeps (D1): anonymised counts, small cells hidden.

Counts from 1 to 4 are shown as "<5", exactly as the dashboards show them (`services/dashboard.py`),
and the colour totals of the codes by prefecture are the dashboard's too (a range where an exact
total would give a hidden cell away by subtraction). Regions are kept at prefecture level (4
digits) and instants at day or month: nothing finer outlives the data.

The type of a fact is sealed with its content, so counting facts by type opens every fact once,
streamed in batches; nothing opened is kept beyond its type and month.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any, Final

from sqlalchemy import func, select

from healthcode.db.schema import appeals, applications, facts
from healthcode.domain.timezones import CHINA_TIME
from healthcode.services.dashboard import COLOURS, HIDDEN, colour_totals, shown
from healthcode.services.runtime import UnitOfWork

Cells = Counter[tuple[str, ...]]
NEW_CODE: Final = ""  # a move from no colour: a first code


def aggregates(uow: UnitOfWork, batch: int) -> dict[str, Any]:
    """Everything kept, as JSON: each list is sorted, each count exact or "<5"."""
    return {
        "small_cells": HIDDEN,
        "codes_by_prefecture_and_colour": _codes_now(uow),
        "colour_moves_by_day": _moves_by_day(uow),
        "facts_by_type_and_month": _table(_facts_by_type_and_month(uow, batch), ("type", "month")),
        "applications_by_channel": _table(_grouped(uow, [applications.c.channel]), ("channel",)),
        "appeals_by_category_and_outcome": _table(
            # Repeat calls merged into an open appeal are the same appeal.
            _grouped(uow, [appeals.c.category, appeals.c.status], appeals.c.merged_into.is_(None)),
            ("category", "outcome"),
        ),
    }


def _codes_now(uow: UnitOfWork) -> dict[str, Any]:
    cells: Counter[tuple[str, str]] = Counter()
    for region, colour, count in uow.tallies.by_region():
        if count > 0:
            cells[(region[:4], colour)] += count  # "" stays "": region not known
    prefectures = sorted({prefecture for prefecture, _ in cells})
    return {
        "by_prefecture": [
            {"prefecture": code, **{c: shown(cells[(code, c)]) for c in COLOURS}}
            for code in prefectures
        ],
        "by_colour": colour_totals(cells),
    }


def _moves_by_day(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Per China day, over the whole province: first codes, and codes that turned each colour."""
    turned: Counter[tuple[str, str]] = Counter()
    for day, _region, before, after, count in uow.tallies.moves_since(""):
        turned[(day, NEW_CODE if not before else after)] += count
    days = sorted({day for day, _ in turned})
    return [
        {
            "day": day,
            "new_codes": shown(turned[(day, NEW_CODE)]),
            **{f"to_{colour}": shown(turned[(day, colour)]) for colour in COLOURS},
        }
        for day in days
    ]


def _facts_by_type_and_month(uow: UnitOfWork, batch: int) -> Cells:
    query = select(facts.c.source, facts.c.event_id, facts.c.occurred_at, facts.c.payload_sealed)
    # Streamed; on the statement, as the connection goes on writing afterwards.
    rows = uow.connection.execute(query.execution_options(yield_per=batch))
    vault = uow.runtime.vault
    cells: Cells = Counter()
    for row in rows:
        # The context is the one the fact store seals under (db/facts_store.py).
        record = vault.open_json(row.payload_sealed, f"fact:{row.source}:{row.event_id}")
        kind = record.get("type") if isinstance(record, dict) else None
        month = row.occurred_at.astimezone(CHINA_TIME).strftime("%Y-%m")
        cells[(str(kind), month)] += 1
    return cells


def _grouped(uow: UnitOfWork, columns: list[Any], *where: Any) -> Cells:
    query = select(*columns, func.count()).where(*where).group_by(*columns)
    return Counter({tuple(row[:-1]): int(row[-1]) for row in uow.connection.execute(query)})


def _table(cells: Cells, names: Iterable[str]) -> list[dict[str, Any]]:
    keys = tuple(names)
    return [
        {**dict(zip(keys, key, strict=True)), "count": shown(count)}
        for key, count in sorted(cells.items())
        if count > 0
    ]

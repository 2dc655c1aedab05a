"""Dashboard tallies (issue #5 §6): codes by county and colour now, and colour moves by day.

Kept as codes change, in the same transaction, so a dashboard reads counts and never opens
anyone's sealed record.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from healthcode.db.schema import code_moves, code_tallies

Move = tuple[str, str, str]  # region, from colour ("" for a first code), to colour


class TallyStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def record(self, day: str, moves: Counter[Move]) -> None:
        deltas: Counter[tuple[str, str]] = Counter()
        changed: list[dict[str, Any]] = []
        for (region, before, after), count in moves.items():
            if before:
                deltas[(region, before)] -= count
            deltas[(region, after)] += count
            changed.append(
                {
                    "day": day,
                    "region": region,
                    "from_colour": before,
                    "to_colour": after,
                    "count": count,
                }
            )
        self._add(code_moves, ("day", "region", "from_colour", "to_colour"), changed)
        totals = [
            {"region": region, "colour": colour, "count": delta}
            for (region, colour), delta in deltas.items()
            if delta
        ]
        self._add(code_tallies, ("region", "colour"), totals)

    def by_region(self) -> list[tuple[str, str, int]]:
        query = select(code_tallies.c.region, code_tallies.c.colour, code_tallies.c.count)
        # By position: `Row.count` is the tuple method, not the column.
        return [
            (region, colour, int(count))
            for region, colour, count in self._connection.execute(query)
        ]

    def moves_since(self, day: str) -> list[tuple[str, str, str, str, int]]:
        query = select(code_moves).where(code_moves.c.day >= day).order_by(code_moves.c.day)
        return [
            (moved_on, region, before, after, int(count))
            for moved_on, region, before, after, count in self._connection.execute(query)
        ]

    def _add(self, table: Table, key: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
        """Add each row's count to the stored one (a new key starts at it): one executemany of
        one upsert a table, where a statement built a row was a tenth of a job's page (a page
        moves some sixty counters: counties times colours)."""
        if not rows:
            return
        dialect = self._connection.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(table)
        self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=list(key), set_={"count": table.c.count + statement.excluded.count}
            ),
            rows,
        )

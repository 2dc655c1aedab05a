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
        for (region, before, after), count in moves.items():
            if before:
                deltas[(region, before)] -= count
            deltas[(region, after)] += count
            self._add(
                code_moves,
                {"day": day, "region": region, "from_colour": before, "to_colour": after},
                count,
            )
        for (region, colour), delta in deltas.items():
            if delta:
                self._add(code_tallies, {"region": region, "colour": colour}, delta)

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

    def _add(self, table: Table, key: dict[str, Any], count: int) -> None:
        dialect = self._connection.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(table).values(**key, count=count)
        self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=list(key), set_={"count": table.c.count + statement.excluded.count}
            )
        )

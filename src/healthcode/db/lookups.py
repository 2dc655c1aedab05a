"""Looking many keys up at once: one statement on PostgreSQL, chunks of IN on SQLite.

An import looks up a batch's persons and facts, and a population job a page's facts and queue
rows: a thousand keys or more each time. As chunks of `IN (…)` that is a statement of 500 bound
parameters per chunk, whose text psycopg parses anew every time (it caches only short statements)
and the server plans anew; on PostgreSQL `= ANY(:array)` sends all the keys as one parameter, in
one statement whose text never changes (so it is prepared once), in one round trip. SQLite has no
arrays, and a statement there is limited in bound parameters: it keeps the chunks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, any_

from healthcode.db.arrays import key_array
from healthcode.db.writes import chunks


def any_of(
    connection: Connection, column: Column[Any], values: Sequence[Any]
) -> Iterator[ColumnElement[bool]]:
    """Conditions that, each in its own statement, together select the rows whose `column` is
    one of `values`: one on PostgreSQL, one a chunk on SQLite, none for no values."""
    if not values:
        return
    if connection.dialect.name == "postgresql":
        yield column == any_(key_array(connection, None, values, column.type))
        return
    for batch in chunks(values):
        yield column.in_(batch)

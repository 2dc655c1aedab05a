"""Small write helpers that differ between SQLite and PostgreSQL, and the batch writers.

A batch is written with one statement execution per table: COPY for new rows on PostgreSQL (and a
COPY into a staging table for updates), an executemany of one statement built once on SQLite. A
statement built per row costs its cache key (computed from the values) and, on PostgreSQL, a round
trip each (bench/README.md, "Bulk writes").
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any, TypeVar, cast

import psycopg
from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    Table,
    Update,
    bindparam,
    delete,
    exc,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from healthcode.db.arrays import key_array

T = TypeVar("T")
# Bound parameters per statement stay well below SQLite's limit (32,766) and PostgreSQL's (65,535).
CHUNK = 500
# From about this many rows up, staging an update batch beats an executemany on PostgreSQL
# (bench/bulk_writes.py: even at 500-1,000 rows, 1.3-1.6x faster from 2,000 to 10,000).
STAGED_UPDATE_ROWS = 1000
_KEY_PARAM = "key_"  # the WHERE parameter of a batch UPDATE: a column's own name is its SET value


def insert_ignoring_duplicates(
    connection: Connection, table: Table, rows: list[dict[str, Any]]
) -> None:
    """Insert rows, silently keeping the existing row where a unique key is already taken
    (by a stored row or an earlier one of `rows`).

    On PostgreSQL, one `INSERT … SELECT FROM unnest(:column arrays) ON CONFLICT DO NOTHING`: each
    column's values go as one array parameter, so the batch is one statement and one round trip,
    where an executemany pipelined a statement a row (with a row a region prefix of a trip, the
    slowest write of an import). Every row has the same keys; repeats of a row are dropped first.
    """
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        names = tuple(rows[0])
        distinct = list(dict.fromkeys(tuple(row[name] for name in names) for row in rows))
        arrays = [
            key_array(
                connection, f"{name}_values", [values[i] for values in distinct], table.c[name].type
            )
            for i, name in enumerate(names)
        ]
        unnested = func.unnest(*arrays).table_valued(*names).render_derived()
        statement = postgresql.insert(table).from_select(
            names, select(*(unnested.c[name] for name in names))
        )
        connection.execute(statement.on_conflict_do_nothing())
    else:
        connection.execute(sqlite.insert(table).on_conflict_do_nothing(), rows)


def insert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert new rows in one go: COPY on PostgreSQL, one executemany of one INSERT on SQLite.

    Every row has the same keys, and only those columns are written: a column default computed
    in Python is not applied by COPY, so a row carries every value it needs.
    """
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        copy_rows(connection, table, rows)
    else:
        connection.execute(insert(table), list(rows))


def update_rows(
    connection: Connection, table: Table, key: str, rows: Sequence[dict[str, Any]]
) -> None:
    """Update existing rows, found by the column `key`: one executemany of one UPDATE, or, for a
    large batch on PostgreSQL, a COPY into a temporary table and one UPDATE … FROM it.

    Every row has the same keys: `key` and the columns to set. A key with no row is skipped.
    """
    if not rows:
        return
    columns = tuple(name for name in rows[0] if name != key)
    if connection.dialect.name == "postgresql" and len(rows) >= STAGED_UPDATE_ROWS:
        _update_through_copy(connection, table, key, columns, rows)
        return
    params = [{**row, _KEY_PARAM: row[key]} for row in rows]
    for row in params:
        del row[key]
    connection.execute(_update_statement(table, key, columns), params)


@lru_cache(maxsize=64)
def _update_statement(table: Table, key: str, columns: tuple[str, ...]) -> Update:
    return (
        table.update()
        .where(table.c[key] == bindparam(_KEY_PARAM))
        .values({name: bindparam(name) for name in columns})
    )


def _update_through_copy(
    connection: Connection,
    table: Table,
    key: str,
    columns: tuple[str, ...],
    rows: Sequence[dict[str, Any]],
) -> None:
    """COPY into a temporary table, then one UPDATE … FROM it: three round trips for any batch.

    Measured on 2,000-10,000 code states: 1.3-1.6x faster than an executemany of UPDATE or a
    multi-row INSERT … ON CONFLICT DO UPDATE, which run at about the same speed. The
    staging table is the session's own (no other connection sees it), is emptied by the UPDATE
    that reads it (DELETE … RETURNING), and by the commit or rollback in any case: ON COMMIT
    DELETE ROWS truncates it, which also drops the dead rows the DELETE left (autovacuum never
    visits temporary tables, so a long-lived session would otherwise scan ever more of them).
    """
    staging = _staging_table(table, (key, *columns))
    quote = connection.dialect.identifier_preparer.quote
    # Identifiers only, all from the schema (`_staging_table` refuses any other column name).
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {quote(staging.name)} ON COMMIT DELETE ROWS AS "  # noqa: S608
        f"SELECT {', '.join(map(quote, staging.c.keys()))} FROM {quote(table.name)} WITH NO DATA"
    )
    copy_rows(connection, staging, rows)
    connection.execute(_update_from(table, staging, key, columns))


@lru_cache(maxsize=64)
def _update_from(table: Table, staging: Table, key: str, columns: tuple[str, ...]) -> Update:
    """WITH batch AS (DELETE FROM staging RETURNING …) UPDATE table SET … FROM batch WHERE …"""
    batch = delete(staging).returning(*staging.c).cte("batch")
    return (
        update(table)
        .where(table.c[key] == batch.c[key])
        .values({name: batch.c[name] for name in columns})
    )


@lru_cache(maxsize=64)
def _staging_table(table: Table, names: tuple[str, ...]) -> Table:
    # Named by its columns, so a batch that sets other columns of the same table has its own.
    digest = hashlib.sha256(",".join(names).encode()).hexdigest()[:8]
    columns = [Column(name, table.c[name].type) for name in names]
    return Table(f"batch_{table.name}_{digest}", MetaData(), *columns)


def copy_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Stream the rows into PostgreSQL with COPY, inside the unit of work's own transaction.

    Why COPY: an import writes about a million facts and persons. An INSERT binds and executes its
    parameters row by row; COPY sends the whole batch as one stream that the server loads in one
    pass, the bulk path PostgreSQL is made for. Nothing else changes: the rows commit or roll back
    with the batch, a unique constraint still refuses a duplicate (the whole COPY then fails, as the
    INSERT did), and values go through the columns' own types (UtcInstant).
    """
    if not rows:
        return
    names = tuple(rows[0])
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    binds = [(name, table.c[name].type.bind_processor(connection.dialect)) for name in names]
    # psycopg 3 under SQLAlchemy: the same session, so the same open transaction.
    driver = cast("psycopg.Connection[Any]", connection.connection.driver_connection)
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [row[name] if bind is None else bind(row[name]) for name, bind in binds]
                )
    except psycopg.Error as error:  # the same exceptions callers get from an INSERT
        raise exc.DBAPIError.instance(statement, None, error, psycopg.Error) from error


def chunks(items: Sequence[T] | Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch

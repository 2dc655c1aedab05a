"""Connecting: SQLite in WAL mode as the embedded default, PostgreSQL through psycopg 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

# Connections an SQLite engine keeps open: cheap (a file handle and a small cache each).
SQLITE_POOL_SIZE = 20
# The execution option that marks a reading unit of work's connection (ADR 0021).
READING = "healthcode_reading"


class WriterNeededError(Exception):
    """A reading unit of work was about to write: the work must run in a writing one.

    Raised before the statement is sent, so the reading transaction holds nothing to undo."""


def connect(url: str, **pool: int) -> Engine:
    """An engine for `url`; for SQLite the file's directory is created and durability is set.
    `pool`: the pool's size options (`pool_size`, `max_overflow`), when not the defaults."""
    parsed = make_url(url)
    # hide_parameters: an error's message names the statement, never the values bound to it (they
    # can be blind indexes or other personal data), so nothing personal reaches a log (D2).
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, **pool)
    else:
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # A pool as large as the server's thread pool is busy: past the default 5 kept, every
        # unit of work beyond them opened and closed a connection (and set its pragmas again).
        sizes = {"pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_POOL_SIZE} | pool
        engine = create_engine(url, hide_parameters=True, **sizes)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "checkin", _sqlite_writable_again)
    event.listen(engine, "before_cursor_execute", _refuse_writes_when_reading)
    return engine


def private_pool(engine: Engine) -> Engine:
    """A second engine on the same database with a pool of its own, one connection: for the
    audit group committer, whose leader must never wait for a connection held by a request that
    is itself waiting for the leader (a pool exhausted by waiters would stall everyone)."""
    private = connect(engine.url.render_as_string(hide_password=False), pool_size=1, max_overflow=1)
    # Closed with the engine it serves, so its connection never outlives that one's.
    event.listen(engine, "engine_disposed", lambda _engine: private.dispose())
    return private


def reading(engine: Engine) -> Engine:
    """The same engine and pool, for transactions that only read (ADR 0021).

    SQLite: a DEFERRED transaction, which takes no lock: in WAL mode a reader never waits for the
    writer, and sees the last commit before its first read. PostgreSQL: READ ONLY. On both the
    database refuses a write too (`PRAGMA query_only`, READ ONLY): a write the guard below did not
    recognise fails loudly instead of committing beside its audit entry."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(**{READING: True}, postgresql_readonly=True)
    return engine.execution_options(**{READING: True})


def _refuse_writes_when_reading(
    connection: Any,
    _cursor: Any,
    _statement: str,
    _parameters: Any,
    context: Any,
    _executemany: bool,
) -> None:
    if not connection.get_execution_options().get(READING):
        return
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        raise WriterNeededError("a reading unit of work does not write")


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions begin (see _sqlite_begin).
    connection.isolation_level = None
    cursor = connection.cursor()
    # WAL: readers never wait for the writer. synchronous=FULL: a commit that returned is on disk,
    # so a record reported accepted survives a crash or power loss.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_writable_again(dbapi_connection: Any, record: Any) -> None:
    # A connection back in the pool is writable, whoever takes it next and however (a raw
    # connection for VACUUM fires no "begin").
    if dbapi_connection is not None and record.info.get("query_only"):
        dbapi_connection.execute("PRAGMA query_only=0")
        record.info["query_only"] = False


def _sqlite_begin(connection: Any) -> None:
    reading = bool(connection.get_execution_options().get(READING))
    held = connection.connection.info  # kept with the pooled connection, across checkouts
    if held.get("query_only", False) != reading:
        connection.exec_driver_sql(f"PRAGMA query_only={int(reading)}")
        held["query_only"] = reading
    if reading:
        # DEFERRED: no lock at all; WAL gives the transaction a snapshot at its first read.
        connection.exec_driver_sql("BEGIN")
        return
    # A writer takes the write lock at the start: two writers never both read a row and then
    # collide, and a writer waits (busy_timeout) instead of failing mid-transaction.
    connection.exec_driver_sql("BEGIN IMMEDIATE")

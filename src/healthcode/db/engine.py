"""Connecting: SQLite in WAL mode as the embedded default, PostgreSQL through psycopg 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def connect(url: str) -> Engine:
    """An engine for `url`; for SQLite the file's directory is created and durability is set."""
    parsed = make_url(url)
    # hide_parameters: an error's message names the statement, never the values bound to it (they
    # can be blind indexes or other personal data), so nothing personal reaches a log (D2).
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, hide_parameters=True)
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions begin (see _sqlite_begin_immediate).
    connection.isolation_level = None
    cursor = connection.cursor()
    # WAL: readers never wait for the writer. synchronous=FULL: a commit that returned is on disk,
    # so a record reported accepted survives a crash or power loss.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock at the start: two writers never both read the audit chain's head and
    # then collide, and a writer waits (busy_timeout) instead of failing mid-transaction.
    connection.exec_driver_sql("BEGIN IMMEDIATE")

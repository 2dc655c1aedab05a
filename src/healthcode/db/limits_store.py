"""Counters behind limits, and the nonces of scanner reports: each moved by one statement.

A limit read with one statement and written with another lets parallel requests all read the same
count; here the statement that counts also returns the count, and callers check that value. On
PostgreSQL the upsert takes the row's lock, so a second request waits for the first to commit and
counts on from its value; SQLite transactions already begin IMMEDIATE, one writer at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, case, delete, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from healthcode.db.schema import Instant, limit_counters, scan_nonces


class LimitCounterStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def hit(self, key: bytes, now: datetime, window: timedelta) -> int:
        """Count one more in the window that began at the counter's first hit (a new window
        begins at `now` once the old one is over); returns the count including this hit."""
        table = limit_counters
        over = table.c.window_start <= now - window
        statement = (
            _insert(self._connection)(table)
            .values(key=key, window_start=now, count=1)
            .on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "count": case((over, 1), else_=table.c.count + 1),
                    "window_start": case((over, literal(now, Instant)), else_=table.c.window_start),
                },
            )
            .returning(table.c.count)
        )
        count: int = self._connection.execute(statement).scalar_one()
        return count

    def window_start(self, key: bytes) -> datetime | None:
        """When the counter's current window began (None: never hit)."""
        statement = select(limit_counters.c.window_start).where(limit_counters.c.key == key)
        start: datetime | None = self._connection.execute(statement).scalar_one_or_none()
        return start

    def release(self, key: bytes) -> None:
        """Give back one hit: an attempt that succeeded is not a failure."""
        self._connection.execute(
            update(limit_counters)
            .where(limit_counters.c.key == key, limit_counters.c.count > 0)
            .values(count=limit_counters.c.count - 1)
        )

    def purge(self, before: datetime) -> int:
        """Forget counters whose window began before `before` (longer than any window ago)."""
        result = self._connection.execute(
            delete(limit_counters).where(limit_counters.c.window_start < before)
        )
        return result.rowcount


class ScanNonceStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def first_time(self, device_id: str, nonce: bytes, now: datetime) -> bool:
        """Remember the nonce; False when the device already sent it (a replay)."""
        statement = (
            _insert(self._connection)(scan_nonces)
            .values(device_id=device_id, nonce=nonce, at=now)
            .on_conflict_do_nothing(index_elements=[scan_nonces.c.device_id, scan_nonces.c.nonce])
            .returning(scan_nonces.c.nonce)
        )
        return self._connection.execute(statement).first() is not None

    def purge(self, before: datetime) -> int:
        result = self._connection.execute(delete(scan_nonces).where(scan_nonces.c.at < before))
        return result.rowcount


def _insert(connection: Connection) -> Callable[[Table], Any]:
    # Both dialects spell the upsert alike; SQLAlchemy keeps them in separate classes.
    return postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert

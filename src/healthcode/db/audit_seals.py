"""Signed heads of the audit log: which entries can be sealed, and the heads kept so far.

A head covers the first `tree_size` entries in (xact, seq) order. That order only grows at its
end if a head covers only entries that can no longer change, which is the watermark's job:

- PostgreSQL: every transaction with an id below `pg_snapshot_xmin(pg_current_snapshot())` has
  committed or rolled back, so no entry with such an `xact` can still appear or vanish. Entries
  with a higher `xact` sort after all of them. (Sequence numbers alone would not do: a transaction
  that drew 5 may commit after the one that drew 6, and a rolled back one leaves a gap forever.)
- SQLite: one writer at a time, and a reader sees only committed entries; the watermark is one
  past the highest number committed, and `xact` is 0 for every entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, text

from healthcode.db.schema import audit_log, audit_seals
from healthcode.domain.merkle import Frontier

# Sealers only (never appenders) serialise on this PostgreSQL advisory lock.
_SEALER_LOCK = 0x48434155  # "HCAU"


@dataclass(frozen=True, slots=True)
class StoredHead:
    tree_size: int
    root_hash: bytes
    watermark: int
    sealed_at: datetime
    frontier: Frontier
    document: dict[str, str]


def lock_sealer(connection: Connection) -> None:
    """Two rounds sealing at once would both extend the same head; appenders never wait on it."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SEALER_LOCK})


def final_watermark(connection: Connection) -> int:
    """Entries whose `order_key` is below this can no longer change (see the module docstring)."""
    if connection.dialect.name == "postgresql":
        xmin = connection.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text"))
        return int(xmin or 0)
    return int(connection.scalar(select(func.coalesce(func.max(audit_log.c.seq), 0))) or 0) + 1


def new_final_entries(connection: Connection, since: int, until: int) -> Iterator[Row[Any]]:
    """The entries made final between two watermarks, in sealing order, streamed."""
    key = order_key(connection)
    result: Any = connection.execute(
        select(audit_log.c.seq, audit_log.c.at, audit_log.c.mac)
        .where(key >= since, key < until)
        .order_by(audit_log.c.xact, audit_log.c.seq)
        .execution_options(yield_per=1000)
    )
    yield from result


def order_key(connection: Connection) -> Any:
    """The column the watermark bounds: `xact` on PostgreSQL, `seq` on SQLite."""
    return audit_log.c.xact if connection.dialect.name == "postgresql" else audit_log.c.seq


def latest(connection: Connection) -> StoredHead | None:
    row = connection.execute(
        select(audit_seals).order_by(audit_seals.c.tree_size.desc()).limit(1)
    ).first()
    return None if row is None else _head(row)


def add(connection: Connection, head: StoredHead) -> None:
    connection.execute(
        insert(audit_seals).values(
            tree_size=head.tree_size,
            root_hash=head.root_hash,
            watermark=head.watermark,
            sealed_at=head.sealed_at,
            frontier={"size": head.frontier.size, "peaks": [p.hex() for p in head.frontier.peaks]},
            document=head.document,
        )
    )


def heads(
    connection: Connection, newest_first: bool = False, limit: int | None = None
) -> Iterator[StoredHead]:
    """The stored heads by size, streamed (a head a minute is half a million a year)."""
    order = audit_seals.c.tree_size.desc() if newest_first else audit_seals.c.tree_size
    query = select(audit_seals).order_by(order).execution_options(yield_per=500)
    if limit is not None:
        query = query.limit(limit)
    yield from (_head(row) for row in connection.execute(query))


def _head(row: Row[Any]) -> StoredHead:
    stored = row.frontier or {}
    frontier = Frontier(
        int(stored.get("size", 0)), tuple(bytes.fromhex(p) for p in stored.get("peaks", []))
    )
    return StoredHead(
        int(row.tree_size),
        bytes(row.root_hash),
        int(row.watermark),
        row.sealed_at,
        frontier,
        dict(row.document),
    )

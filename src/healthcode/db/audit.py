"""The audit log (D1–D3): append-only, written in the transaction it describes, no global lock.

Each entry carries its own MAC (HMAC-SHA256 over its number, instant and fields) under a key that
lives outside the database: someone who can edit the tables cannot write a valid entry, so an
edited or renumbered entry shows up in verify. Deletions, reordering and truncation are caught by
the signed tree heads over the entries' MACs (`db/audit_seals.py`, `services/audit_seal.py`).

No writer waits for another: the number comes from a sequence (PostgreSQL) or AUTOINCREMENT
(SQLite, whose single writer lock is held anyway). Numbers may have gaps (a rolled back
transaction) and commit out of order; the sealing rule in `audit_seals` accounts for both.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, insert, select, text, update

from healthcode.db.schema import AUDIT_SEQUENCE, audit_log

_XACT_AND_NUMBER = text(
    f"SELECT pg_current_xact_id()::text::bigint, nextval('{AUDIT_SEQUENCE.name}')"
)
# The first entry of a chain written before revision 0006 followed this hash.
GENESIS = bytes(32)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did what to which object, why, and how it ended. `object` is a pseudonym, never data."""

    actor: str
    role: str
    purpose: str
    action: str
    object: str | None = None
    outcome: str = "ok"
    detail: str | None = None

    def fields(self) -> dict[str, str | None]:
        """The fields the entry's MAC covers, by name."""
        return {
            "actor": self.actor,
            "role": self.role,
            "purpose": self.purpose,
            "action": self.action,
            "object": self.object,
            "outcome": self.outcome,
            "detail": self.detail,
        }


def append(connection: Connection, key: bytes, entry: AuditEntry, at: datetime) -> int:
    """Add `entry` inside the caller's transaction; returns its sequence number."""
    if connection.dialect.name != "postgresql":
        return _append_sqlite(connection, key, entry, at)
    # Sealing orders by the writing transaction's id, not by number (see db/audit_seals.py); asking
    # for it assigns one if this transaction has written nothing yet. It is the top-level id, also
    # inside a savepoint, which is what the watermark compares with.
    xact, seq = connection.execute(_XACT_AND_NUMBER).one()
    connection.execute(
        insert(audit_log).values(
            seq=seq, xact=xact, at=at, mac=entry_mac(key, seq, at, entry), **entry.fields()
        )
    )
    return int(seq)


def _append_sqlite(connection: Connection, key: bytes, entry: AuditEntry, at: datetime) -> int:
    # The INSERT takes SQLite's one writer lock, so the number is known before anyone else writes.
    seq: int = connection.execute(
        insert(audit_log).values(at=at, mac=b"", **entry.fields()).returning(audit_log.c.seq)
    ).scalar_one()
    connection.execute(
        update(audit_log).where(audit_log.c.seq == seq).values(mac=entry_mac(key, seq, at, entry))
    )
    return seq


def entry_mac(
    key: bytes, seq: int, at: datetime, entry: AuditEntry, prev_hash: bytes | None = None
) -> bytes:
    """The entry's MAC; entries written before 0006 also covered the hash they followed."""
    instant = at.astimezone(UTC).isoformat(timespec="microseconds")
    content = {"seq": seq, "at": instant, **entry.fields()}
    message = (prev_hash or b"") + json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
    return hmac.new(key, message, hashlib.sha256).digest()


def entry_of(row: Row[Any]) -> AuditEntry:
    return AuditEntry(
        row.actor, row.role, row.purpose, row.action, row.object, row.outcome, row.detail
    )


def sealing_order(connection: Connection) -> Iterator[Row[Any]]:
    """Every entry in the order the signed heads cover them: (xact, seq), streamed."""
    # On the statement, not the connection: Connection.execution_options changes the connection
    # in place, and a later INSERT on it would be sent as a server-side cursor (PostgreSQL).
    result = connection.execute(
        select(audit_log)
        .order_by(audit_log.c.xact, audit_log.c.seq)
        .execution_options(yield_per=1000)
    )
    yield from result


@dataclass(frozen=True, slots=True)
class LoggedEntry:
    seq: int
    at: datetime
    entry: AuditEntry


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which entries an auditor reads: filters, and `before` a sequence number to page back."""

    action: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: int | None = None
    limit: int = 50


def actor_names(name: str) -> tuple[str, ...]:
    """Who a filter by `name` finds: an auditor types the login (hotline), the log names the
    principal's kind with it (staff:hotline), as services/sign_in.py labels principals."""
    if ":" in name:
        return (name,)
    return (name, *(f"{kind}:{name}" for kind in ("staff", "client", "resident")))


def read(connection: Connection, query: AuditQuery) -> list[LoggedEntry]:
    """Entries newest first; the next page starts before the last one returned."""
    conditions: list[ColumnElement[bool]] = []
    if query.action is not None:
        conditions.append(audit_log.c.action == query.action)
    if query.actor is not None:
        conditions.append(audit_log.c.actor.in_(actor_names(query.actor)))
    if query.since is not None:
        conditions.append(audit_log.c.at >= query.since)
    if query.until is not None:
        conditions.append(audit_log.c.at < query.until)
    if query.before is not None:
        conditions.append(audit_log.c.seq < query.before)
    rows = connection.execute(
        select(audit_log).where(*conditions).order_by(audit_log.c.seq.desc()).limit(query.limit)
    )
    return [
        LoggedEntry(
            row.seq,
            row.at,
            entry_of(row),
        )
        for row in rows
    ]

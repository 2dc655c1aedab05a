"""The audit log (D1–D3): append-only and hash-chained, written in the transaction it describes.

Each entry's hash is an HMAC over the previous entry's hash and the entry itself, under a key that
lives outside the database: someone who can edit the tables cannot recompute a valid chain, so any
edited, deleted or reordered entry shows up in `verify`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, insert, select, update

from healthcode.db.schema import audit_head, audit_log

GENESIS = bytes(32)
_HEAD = 1


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
        """The fields the chain's hash covers, by name."""
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
    """Add `entry` to the chain inside the caller's transaction; returns its sequence number."""
    # Locking the head serialises appenders (PostgreSQL); SQLite's writer lock already does.
    head = connection.execute(
        select(audit_head.c.seq, audit_head.c.hash)
        .where(audit_head.c.id == _HEAD)
        .with_for_update()
    ).one()
    seq = int(head.seq) + 1
    digest = entry_hash(key, head.hash, seq, at, entry)
    connection.execute(
        insert(audit_log).values(
            seq=seq,
            at=at,
            prev_hash=head.hash,
            hash=digest,
            **entry.fields(),
        )
    )
    connection.execute(
        update(audit_head).where(audit_head.c.id == _HEAD).values(seq=seq, hash=digest)
    )
    return seq


def entry_hash(key: bytes, prev_hash: bytes, seq: int, at: datetime, entry: AuditEntry) -> bytes:
    instant = at.astimezone(UTC).isoformat(timespec="microseconds")
    content = {"seq": seq, "at": instant, **entry.fields()}
    message = prev_hash + json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
    return hmac.new(key, message, hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries: int
    problems: tuple[str, ...]

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(connection: Connection, key: bytes) -> ChainReport:
    """Walk the whole chain; every edited, missing or moved entry is reported by number."""
    problems: list[str] = []
    expected_seq, prev = 1, GENESIS
    count = 0
    for row in _rows(connection):
        count += 1
        if row.seq != expected_seq:
            problems.append(
                f"entry {row.seq}: expected entry {expected_seq} here (deleted or moved)"
            )
        if row.prev_hash != prev:
            problems.append(f"entry {row.seq}: does not follow the entry before it")
        entry = AuditEntry(
            row.actor, row.role, row.purpose, row.action, row.object, row.outcome, row.detail
        )
        if not hmac.compare_digest(
            entry_hash(key, row.prev_hash, row.seq, row.at, entry), row.hash
        ):
            problems.append(f"entry {row.seq}: content does not match its hash (edited)")
        expected_seq, prev = row.seq + 1, row.hash
    head = connection.execute(select(audit_head).where(audit_head.c.id == _HEAD)).one()
    if head.seq != expected_seq - 1 or head.hash != prev:
        problems.append(
            f"head: the chain ends at entry {expected_seq - 1} but the head names entry {head.seq}"
            " (entries deleted at the end, or the head edited)"
        )
    return ChainReport(count, tuple(problems))


def _rows(connection: Connection) -> Iterator[Row[Any]]:
    # On the statement, not the connection: Connection.execution_options changes the connection
    # in place, and a later INSERT on it would be sent as a server-side cursor (PostgreSQL).
    result = connection.execute(
        select(audit_log).order_by(audit_log.c.seq).execution_options(yield_per=1000)
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


def read(connection: Connection, query: AuditQuery) -> list[LoggedEntry]:
    """Entries newest first; the next page starts before the last one returned."""
    conditions: list[ColumnElement[bool]] = []
    if query.action is not None:
        conditions.append(audit_log.c.action == query.action)
    if query.actor is not None:
        conditions.append(audit_log.c.actor == query.actor)
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
            AuditEntry(
                row.actor, row.role, row.purpose, row.action, row.object, row.outcome, row.detail
            ),
        )
        for row in rows
    ]

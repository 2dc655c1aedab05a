"""Sessions, one-time sign-in codes and the development outbox.

Tokens and codes are kept only as keyed hashes (blind indexes): reading this table signs no one in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from healthcode.db.schema import one_time_codes, outbox_messages, sessions
from healthcode.security.vault import Vault


@dataclass(frozen=True, slots=True)
class StoredSession:
    kind: str
    subject: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    recipient_masked: str
    body: str
    sent_at: datetime


class SessionStore:
    def __init__(self, connection: Connection, vault: Vault) -> None:
        self._connection = connection
        self._vault = vault

    def _index(self, token: str) -> bytes:
        return self._vault.blind_index("session", token)

    def add(self, token: str, session: StoredSession) -> None:
        self._connection.execute(
            insert(sessions).values(
                token_index=self._index(token),
                kind=session.kind,
                subject=session.subject,
                created_at=session.created_at,
                expires_at=session.expires_at,
            )
        )

    def live(self, token: str, now: datetime) -> StoredSession | None:
        row = self._connection.execute(
            select(sessions).where(
                sessions.c.token_index == self._index(token),
                sessions.c.revoked_at.is_(None),
                sessions.c.expires_at > now,
            )
        ).one_or_none()
        if row is None:
            return None
        return StoredSession(row.kind, row.subject, row.created_at, row.expires_at)

    def revoke(self, token: str, now: datetime) -> None:
        self._connection.execute(
            update(sessions)
            .where(sessions.c.token_index == self._index(token), sessions.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def revoke_subject(self, kind: str, subject: str, now: datetime) -> None:
        self._connection.execute(
            update(sessions)
            .where(
                sessions.c.kind == kind,
                sessions.c.subject == subject,
                sessions.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )


@dataclass(frozen=True, slots=True)
class PendingCode:
    id: int
    code_index: bytes
    expires_at: datetime
    attempts: int


class OneTimeCodeStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(
        self, phone_index: bytes, code_index: bytes, now: datetime, expires_at: datetime
    ) -> None:
        self._connection.execute(
            insert(one_time_codes).values(
                phone_index=phone_index,
                code_index=code_index,
                issued_at=now,
                expires_at=expires_at,
                attempts=0,
            )
        )

    def latest_pending(self, phone_index: bytes, now: datetime) -> PendingCode | None:
        row = self._connection.execute(
            select(one_time_codes)
            .where(
                one_time_codes.c.phone_index == phone_index,
                one_time_codes.c.used_at.is_(None),
                one_time_codes.c.expires_at > now,
            )
            .order_by(one_time_codes.c.id.desc())
            .limit(1)
        ).one_or_none()
        if row is None:
            return None
        return PendingCode(row.id, row.code_index, row.expires_at, row.attempts)

    def take_attempt(self, code_id: int, allowed: int) -> bool:
        """Count one attempt at an unused code, unless it had `allowed` already: one statement,
        so parallel guesses each see the count the others left (False: no attempt left)."""
        table = one_time_codes
        counted = self._connection.execute(
            update(table)
            .where(table.c.id == code_id, table.c.used_at.is_(None), table.c.attempts < allowed)
            .values(attempts=table.c.attempts + 1)
            .returning(table.c.attempts)
        ).first()
        return counted is not None

    def use(self, code_id: int, now: datetime) -> bool:
        """Mark the code used; False when a parallel sign-in used it first."""
        used = self._connection.execute(
            update(one_time_codes)
            .where(one_time_codes.c.id == code_id, one_time_codes.c.used_at.is_(None))
            .values(used_at=now)
            .returning(one_time_codes.c.id)
        ).first()
        return used is not None


class OutboxStore:
    def __init__(self, connection: Connection, vault: Vault) -> None:
        self._connection = connection
        self._vault = vault

    def add(self, recipient_index: bytes, masked: str, body: str, now: datetime) -> None:
        self._connection.execute(
            insert(outbox_messages).values(
                recipient_index=recipient_index,
                recipient_masked=masked,
                body_sealed=self._vault.seal_text(body, "outbox"),
                sent_at=now,
            )
        )

    def latest(self, limit: int, recipient_index: bytes | None = None) -> list[OutboxMessage]:
        query = select(outbox_messages).order_by(outbox_messages.c.id.desc()).limit(limit)
        if recipient_index is not None:
            query = query.where(outbox_messages.c.recipient_index == recipient_index)
        return [
            OutboxMessage(
                row.recipient_masked, self._vault.open_text(row.body_sealed, "outbox"), row.sent_at
            )
            for row in self._connection.execute(query)
        ]

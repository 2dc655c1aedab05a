"""Bindings asked for but not yet proven (issue #11): the request sealed, the confirmation code
only as a keyed hash with its attempts and expiry, like sign-in codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from healthcode.db.schema import pending_links
from healthcode.security.vault import Vault


@dataclass(frozen=True, slots=True)
class PendingLink:
    id: int
    reference: str
    account_id: str
    id_index: bytes
    relationship: str
    request: dict[str, Any]
    code_index: bytes | None
    code_expires_at: datetime | None
    attempts: int
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class NewPendingLink:
    reference: str
    account_id: str
    id_index: bytes
    relationship: str
    request: dict[str, Any]
    recipient_index: bytes | None
    code_index: bytes | None
    code_expires_at: datetime | None
    created_at: datetime
    expires_at: datetime


class PendingLinkStore:
    def __init__(self, connection: Connection, vault: Vault) -> None:
        self._connection = connection
        self._vault = vault

    def add(self, pending: NewPendingLink) -> None:
        self._connection.execute(
            insert(pending_links).values(
                reference=pending.reference,
                account_id=pending.account_id,
                id_index=pending.id_index,
                relationship=pending.relationship,
                request_sealed=self._vault.seal_json(pending.request, _context(pending.reference)),
                recipient_index=pending.recipient_index,
                code_index=pending.code_index,
                code_expires_at=pending.code_expires_at,
                attempts=0,
                created_at=pending.created_at,
                expires_at=pending.expires_at,
            )
        )

    def codes_sent_since(self, recipient_index: bytes, since: datetime) -> int:
        found = self._connection.execute(
            select(func.count()).where(
                pending_links.c.recipient_index == recipient_index,
                pending_links.c.code_index.is_not(None),
                pending_links.c.created_at > since,
            )
        ).scalar_one()
        return int(found)

    def open(self, reference: str, now: datetime) -> PendingLink | None:
        """The pending link by its reference while it is neither completed nor expired."""
        row = self._connection.execute(
            select(pending_links).where(
                pending_links.c.reference == reference,
                pending_links.c.completed_at.is_(None),
                pending_links.c.expires_at > now,
            )
        ).one_or_none()
        return None if row is None else self._pending(row)

    def of_account(self, account_id: str, now: datetime) -> list[PendingLink]:
        rows = self._connection.execute(
            select(pending_links)
            .where(
                pending_links.c.account_id == account_id,
                pending_links.c.completed_at.is_(None),
                pending_links.c.expires_at > now,
            )
            .order_by(pending_links.c.id)
        )
        return [self._pending(row) for row in rows]

    def count_attempt(self, pending_id: int) -> None:
        self._connection.execute(
            update(pending_links)
            .where(pending_links.c.id == pending_id)
            .values(attempts=pending_links.c.attempts + 1)
        )

    def complete(self, pending_id: int, how: str, now: datetime) -> None:
        self._connection.execute(
            update(pending_links)
            .where(pending_links.c.id == pending_id)
            .values(completed_at=now, completed_how=how)
        )

    def purge_ended(self, before: datetime) -> int:
        """Forget bindings that expired or were completed before `before` (their request too)."""
        result = self._connection.execute(
            delete(pending_links).where(
                (pending_links.c.expires_at <= before) | (pending_links.c.completed_at <= before)
            )
        )
        return int(result.rowcount or 0)

    def _pending(self, row: Row[tuple[object, ...]]) -> PendingLink:
        request = self._vault.open_json(row.request_sealed, _context(row.reference))
        if not isinstance(request, dict):
            raise TypeError("a pending link's request is not an object")
        return PendingLink(
            row.id,
            row.reference,
            row.account_id,
            bytes(row.id_index),
            row.relationship,
            request,
            None if row.code_index is None else bytes(row.code_index),
            row.code_expires_at,
            row.attempts,
            row.created_at,
            row.expires_at,
        )


def _context(reference: str) -> str:
    return f"pending-link:{reference}"

"""Stored rulesets (A5): every version kept, drafts until a second person approves them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from healthcode.db.schema import rulesets

DRAFT = "draft"
APPROVED = "approved"
# The kinds of rule documents that share this lifecycle, each in force on its own.
COLOURS = "colours"  # the colour rules (A5), domain/rules.py
FOREIGN_ACCEPTANCE = "foreign-acceptance"  # which foreign certificates count, foreign/acceptance.py


@dataclass(frozen=True, slots=True)
class StoredRuleset:
    ruleset_id: str
    version: str
    valid_from: datetime
    document: dict[str, Any]
    status: str
    author: str
    approved_by: str | None
    approved_at: datetime | None
    activated_at: datetime | None
    kind: str = COLOURS

    @property
    def label(self) -> str:
        return f"{self.ruleset_id}@{self.version}"


class RulesetStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add_draft(
        self, ruleset_id: str, version: str, valid_from: datetime, document: dict[str, Any],
        author: str, now: datetime, kind: str = COLOURS,
    ) -> None:  # fmt: skip
        self._connection.execute(
            insert(rulesets).values(
                kind=kind,
                ruleset_id=ruleset_id,
                version=version,
                valid_from=valid_from,
                document=document,
                status=DRAFT,
                author=author,
                created_at=now,
            )
        )

    def get(self, ruleset_id: str, version: str) -> StoredRuleset | None:
        row = self._connection.execute(
            select(rulesets).where(
                (rulesets.c.ruleset_id == ruleset_id) & (rulesets.c.version == version)
            )
        ).one_or_none()
        return None if row is None else _stored(row)

    def approve(self, ruleset_id: str, version: str, approver: str, now: datetime) -> bool:
        """Approve a draft; False if it was no longer a draft (approved by someone meanwhile)."""
        result = self._connection.execute(
            update(rulesets)
            .where(
                (rulesets.c.ruleset_id == ruleset_id)
                & (rulesets.c.version == version)
                & (rulesets.c.status == DRAFT)  # two approvers at once: only one wins
            )
            .values(status=APPROVED, approved_by=approver, approved_at=now)
        )
        return result.rowcount == 1

    def in_force(self, now: datetime, kind: str = COLOURS) -> StoredRuleset | None:
        """The approved version of `kind` with the latest valid-from that has come."""
        row = self._connection.execute(
            select(rulesets)
            .where(
                (rulesets.c.status == APPROVED)
                & (rulesets.c.valid_from <= now)
                & (rulesets.c.kind == kind)
            )
            .order_by(rulesets.c.valid_from.desc(), rulesets.c.id.desc())
            .limit(1)
        ).one_or_none()
        return None if row is None else _stored(row)

    def due_for_activation(self, now: datetime) -> list[StoredRuleset]:
        """Approved colour versions whose valid-from has come and whose activation (everyone
        re-evaluated) has not been done; other kinds need no activation: they are read when used."""
        rows = self._connection.execute(
            select(rulesets)
            .where(
                (rulesets.c.kind == COLOURS)
                & (rulesets.c.status == APPROVED)
                & (rulesets.c.valid_from <= now)
                & rulesets.c.activated_at.is_(None)
            )
            .order_by(rulesets.c.valid_from)
        )
        return [_stored(row) for row in rows]

    def mark_activated(self, ruleset_id: str, version: str, now: datetime) -> None:
        self._connection.execute(
            update(rulesets)
            .where((rulesets.c.ruleset_id == ruleset_id) & (rulesets.c.version == version))
            .values(activated_at=now)
        )

    def all(self) -> list[StoredRuleset]:
        rows = self._connection.execute(select(rulesets).order_by(rulesets.c.id))
        return [_stored(row) for row in rows]


def _stored(row: Row[Any]) -> StoredRuleset:
    return StoredRuleset(
        row.ruleset_id,
        row.version,
        row.valid_from,
        row.document,
        row.status,
        row.author,
        row.approved_by,
        row.approved_at,
        row.activated_at,
        row.kind,
    )

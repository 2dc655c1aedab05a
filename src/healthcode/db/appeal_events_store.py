"""An appeal's timeline and its overrides (S6): every step with who took it, details sealed.

Events are bound to their appeal (the vault's associated data): a detail copied into another
appeal's timeline does not open there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from healthcode.db.schema import appeal_events, appeal_overrides, appeals
from healthcode.domain.appeals import AppealCategory, AppealEventKind
from healthcode.security.vault import Vault


@dataclass(frozen=True, slots=True)
class AppealEvent:
    appeal_id: int
    at: datetime
    kind: AppealEventKind
    actor: str
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Override:
    id: int
    appeal_id: int
    colour: str
    authority: str
    expires_at: datetime
    requested_by: str
    requested_at: datetime
    approved_by: str | None = None
    approved_at: datetime | None = None


class AppealTimeline:
    """The events and overrides of appeals; `AppealStore` adds the appeals themselves."""

    def __init__(self, connection: Connection, vault: Vault) -> None:
        self._connection = connection
        self._vault = vault

    def add_event(self, event: AppealEvent) -> None:
        sealed = None
        if event.detail is not None:
            sealed = self._vault.seal_text(event.detail, _event_context(event))
        self._connection.execute(
            insert(appeal_events).values(
                appeal_id=event.appeal_id,
                at=event.at,
                kind=event.kind.value,
                actor=event.actor,
                detail_sealed=sealed,
            )
        )

    def events(self, appeal_id: int) -> list[AppealEvent]:
        rows = self._connection.execute(
            select(appeal_events)
            .where(appeal_events.c.appeal_id == appeal_id)
            .order_by(appeal_events.c.id)
        )
        found = []
        for row in rows:
            event = AppealEvent(row.appeal_id, row.at, AppealEventKind(row.kind), row.actor)
            if row.detail_sealed is not None:
                detail = self._vault.open_text(row.detail_sealed, _event_context(event))
                event = AppealEvent(event.appeal_id, event.at, event.kind, event.actor, detail)
            found.append(event)
        return found

    def count_events(self, appeal_id: int, kinds: tuple[AppealEventKind, ...]) -> int:
        rows = self._connection.execute(
            select(appeal_events.c.id).where(
                appeal_events.c.appeal_id == appeal_id,
                appeal_events.c.kind.in_([kind.value for kind in kinds]),
            )
        )
        return len(rows.all())

    def escalated_since(
        self, since: datetime, region_prefix: str | None
    ) -> list[tuple[str, AppealCategory]]:
        """(region of first routing, category) of each escalation since `since`."""
        query = (
            select(appeals.c.origin_region, appeals.c.category)
            .join(appeal_events, appeal_events.c.appeal_id == appeals.c.id)
            .where(
                appeal_events.c.kind == AppealEventKind.ESCALATED.value,
                appeal_events.c.at >= since,
            )
        )
        if region_prefix is not None:
            query = query.where(appeals.c.origin_region.like(f"{region_prefix}%"))
        rows = self._connection.execute(query)
        return [(row.origin_region, AppealCategory(row.category)) for row in rows]

    def add_override(self, override: Override) -> int:
        inserted = insert(appeal_overrides).values(_override_row(override))
        return int(self._connection.execute(inserted.returning(appeal_overrides.c.id)).scalar_one())

    def overrides(self, appeal_id: int) -> list[Override]:
        rows = self._connection.execute(
            select(appeal_overrides)
            .where(appeal_overrides.c.appeal_id == appeal_id)
            .order_by(appeal_overrides.c.id)
        )
        return [_override(row) for row in rows]

    def approve_override(self, override_id: int, approved_by: str, at: datetime) -> None:
        self._connection.execute(
            update(appeal_overrides)
            .where(appeal_overrides.c.id == override_id)
            .values(approved_by=approved_by, approved_at=at)
        )


def _override_row(override: Override) -> dict[str, object]:
    return {
        "appeal_id": override.appeal_id,
        "colour": override.colour,
        "authority": override.authority,
        "expires_at": override.expires_at,
        "requested_by": override.requested_by,
        "requested_at": override.requested_at,
        "approved_by": override.approved_by,
        "approved_at": override.approved_at,
    }


def _override(row: Row[Any]) -> Override:
    return Override(
        row.id,
        row.appeal_id,
        row.colour,
        row.authority,
        row.expires_at,
        row.requested_by,
        row.requested_at,
        row.approved_by,
        row.approved_at,
    )


def _event_context(event: AppealEvent) -> str:
    return f"appeal:{event.appeal_id}:event:{event.kind.value}"

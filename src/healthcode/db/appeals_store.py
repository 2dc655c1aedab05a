"""Appeals, their timeline and overrides (S6): routing fields in clear, what people said sealed.

Sealed values are bound to their appeal (the vault's associated data), so a callback number or an
answer copied into another appeal's row does not open there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, or_, select, update

from healthcode.db.appeal_events_store import AppealTimeline
from healthcode.db.schema import appeals
from healthcode.domain.appeals import (
    AppealCategory,
    AppealChannel,
    AppealStatus,
    Language,
    Route,
    Tier,
)
from healthcode.domain.identity import mask_phone

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredAppeal:
    """An appeal as the queues see it: nothing sealed is opened."""

    id: int
    person_id: str
    category: AppealCategory
    channel: AppealChannel
    status: AppealStatus
    route: Route
    origin_region: str
    opened_at: datetime
    due_at: datetime
    answered_at: datetime | None
    merged_into: int | None
    resident_account_id: str | None
    language: Language
    callback_phone_masked: str | None

    @property
    def primary_id(self) -> int:
        return self.merged_into if self.merged_into is not None else self.id


@dataclass(frozen=True, slots=True)
class NewAppeal:
    person_id: str
    category: AppealCategory
    channel: AppealChannel
    route: Route
    opened_at: datetime
    due_at: datetime
    language: Language
    text: str
    callback_phone: str | None = None
    resident_account_id: str | None = None
    snapshot: Json | None = None
    merged_into: int | None = None


class AppealStore(AppealTimeline):
    """Appeals, with their timeline and overrides (`AppealTimeline`)."""

    def add(self, new: NewAppeal) -> int:
        inserted = insert(appeals).values(_clear_row(new)).returning(appeals.c.id)
        appeal_id = int(self._connection.execute(inserted).scalar_one())
        sealed = {
            "callback_phone_sealed": self._seal(appeal_id, "callback_phone", new.callback_phone),
            "text_sealed": self._seal(appeal_id, "text", new.text),
            "snapshot_sealed": self._seal(appeal_id, "snapshot", new.snapshot),
        }
        self._connection.execute(update(appeals).where(appeals.c.id == appeal_id).values(sealed))
        return appeal_id

    def get(self, appeal_id: int) -> StoredAppeal | None:
        row = self._connection.execute(
            select(appeals).where(appeals.c.id == appeal_id)
        ).one_or_none()
        return None if row is None else _stored(row)

    def of_person(self, person_id: str) -> list[StoredAppeal]:
        """Every filing about a person, newest first (the operator's view on a callback)."""
        query = select(appeals).where(appeals.c.person_id == person_id)
        return self._many(query.order_by(appeals.c.id.desc()))

    def merged(self, primary_id: int) -> list[StoredAppeal]:
        return self._many(select(appeals).where(appeals.c.merged_into == primary_id))

    def waiting(self, region_prefix: str | None, limit: int) -> list[StoredAppeal]:
        """Primaries still owed an answer in a region (prefix of the unit code), due first."""
        query = select(appeals).where(
            appeals.c.answered_at.is_(None), appeals.c.merged_into.is_(None)
        )
        if region_prefix is not None:
            query = query.where(appeals.c.region.like(f"{region_prefix}%"))
        return self._many(query.order_by(appeals.c.due_at, appeals.c.id).limit(limit))

    def overdue(self, now: datetime, limit: int) -> list[StoredAppeal]:
        """Open primaries past due below the province (the province has no one above it)."""
        query = select(appeals).where(
            appeals.c.status == AppealStatus.OPEN.value,
            appeals.c.due_at < now,
            appeals.c.merged_into.is_(None),
            appeals.c.tier != Tier.PROVINCE.value,
        )
        return self._many(query.order_by(appeals.c.due_at).limit(limit))

    def opened_since(self, since: datetime, region_prefix: str | None) -> list[StoredAppeal]:
        query = select(appeals).where(appeals.c.opened_at >= since)
        if region_prefix is not None:
            query = query.where(appeals.c.origin_region.like(f"{region_prefix}%"))
        return self._many(query)

    def move(self, appeal_id: int, route: Route, due_at: datetime) -> None:
        """Hand the appeal (and the filings merged into it) to another unit."""
        values = {"region": route.region, "tier": route.tier.value, "due_at": due_at}
        self._connection.execute(update(appeals).where(_family(appeal_id)).values(values))

    def close(self, primary_id: int, status: AppealStatus) -> None:
        """Close the primary and the filings merged into it: one decision answers them all."""
        self._connection.execute(
            update(appeals).where(_family(primary_id)).values(status=status.value)
        )

    def set_answer(self, primary_id: int, answer: Json, at: datetime) -> None:
        self._connection.execute(
            update(appeals)
            .where(appeals.c.id == primary_id)
            .values(answer_sealed=self._seal(primary_id, "answer", answer), answered_at=at)
        )
        self._connection.execute(
            update(appeals).where(appeals.c.merged_into == primary_id).values(answered_at=at)
        )

    def callback_phone(self, appeal_id: int) -> str | None:
        return self._open_text(appeal_id, appeals.c.callback_phone_sealed, "callback_phone")

    def text(self, appeal_id: int) -> str | None:
        return self._open_text(appeal_id, appeals.c.text_sealed, "text")

    def snapshot(self, appeal_id: int) -> Json | None:
        return self._open_json(appeal_id, appeals.c.snapshot_sealed, "snapshot")

    def answer(self, appeal_id: int) -> Json | None:
        return self._open_json(appeal_id, appeals.c.answer_sealed, "answer")

    def _many(self, query: Any) -> list[StoredAppeal]:
        return [_stored(row) for row in self._connection.execute(query)]

    def _seal(self, appeal_id: int, field: str, value: str | Json | None) -> bytes | None:
        if value is None:
            return None
        context = f"appeal:{appeal_id}:{field}"
        if isinstance(value, str):
            return self._vault.seal_text(value, context)
        return self._vault.seal_json(value, context)

    def _open_text(self, appeal_id: int, column: Any, field: str) -> str | None:
        sealed = self._sealed(appeal_id, column)
        return (
            None if sealed is None else self._vault.open_text(sealed, f"appeal:{appeal_id}:{field}")
        )

    def _open_json(self, appeal_id: int, column: Any, field: str) -> Json | None:
        sealed = self._sealed(appeal_id, column)
        if sealed is None:
            return None
        value = self._vault.open_json(sealed, f"appeal:{appeal_id}:{field}")
        return value if isinstance(value, dict) else None

    def _sealed(self, appeal_id: int, column: Any) -> bytes | None:
        found: bytes | None = self._connection.execute(
            select(column).where(appeals.c.id == appeal_id)
        ).scalar_one_or_none()
        return found


def _family(primary_id: int) -> Any:
    return or_(appeals.c.id == primary_id, appeals.c.merged_into == primary_id)


def _clear_row(new: NewAppeal) -> dict[str, object]:
    return {
        "person_id": new.person_id,
        "category": new.category.value,
        "channel": new.channel.value,
        "status": AppealStatus.OPEN.value,
        "tier": new.route.tier.value,
        "region": new.route.region,
        "origin_region": new.route.region,
        "opened_at": new.opened_at,
        "due_at": new.due_at,
        "merged_into": new.merged_into,
        "resident_account_id": new.resident_account_id,
        "language": new.language.value,
        "callback_phone_masked": None
        if new.callback_phone is None
        else mask_phone(new.callback_phone),
    }


def _stored(row: Row[Any]) -> StoredAppeal:
    return StoredAppeal(
        id=row.id,
        person_id=row.person_id,
        category=AppealCategory(row.category),
        channel=AppealChannel(row.channel),
        status=AppealStatus(row.status),
        route=Route(row.region, Tier(row.tier)),
        origin_region=row.origin_region,
        opened_at=row.opened_at,
        due_at=row.due_at,
        answered_at=row.answered_at,
        merged_into=row.merged_into,
        resident_account_id=row.resident_account_id,
        language=Language(row.language),
        callback_phone_masked=row.callback_phone_masked,
    )

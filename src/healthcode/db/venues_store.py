"""Venues, their scanner devices, and the minimal record of each scan (D2, M3, M5, S2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from healthcode.db.schema import risk_areas, scanner_devices, scans, venues


@dataclass(frozen=True, slots=True)
class StoredVenue:
    id: str
    name: str
    category: str
    region: str
    area_risk: str
    registered_by: str
    registered_at: datetime


@dataclass(frozen=True, slots=True)
class StoredDevice:
    id: str
    venue_id: str
    public_jwk: dict[str, Any]
    registered_at: datetime
    flagged_at: datetime | None
    flag_reason: str | None


@dataclass(frozen=True, slots=True)
class Rating:
    """A risk area (A6) in force: its region and level."""

    region: str
    level: str


class VenueStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add_venue(self, venue: StoredVenue) -> None:
        self._connection.execute(
            insert(venues).values(
                id=venue.id,
                name=venue.name,
                category=venue.category,
                region=venue.region,
                area_risk=venue.area_risk,
                registered_by=venue.registered_by,
                registered_at=venue.registered_at,
            )
        )

    def venue(self, venue_id: str) -> StoredVenue | None:
        row = self._connection.execute(select(venues).where(venues.c.id == venue_id)).one_or_none()
        return None if row is None else _venue(row)

    def all_venues(self) -> list[StoredVenue]:
        return [
            _venue(row) for row in self._connection.execute(select(venues).order_by(venues.c.id))
        ]

    def set_area_risk(self, venue_id: str, area_risk: str) -> None:
        self._connection.execute(
            update(venues).where(venues.c.id == venue_id).values(area_risk=area_risk)
        )

    def ratings_in_force(self, now: datetime) -> list[Rating]:
        rows = self._connection.execute(
            select(risk_areas.c.region, risk_areas.c.level).where(
                risk_areas.c.effective_from <= now,
                (risk_areas.c.effective_to.is_(None)) | (risk_areas.c.effective_to > now),
            )
        )
        return [Rating(row.region, row.level) for row in rows]

    def add_device(self, device: StoredDevice) -> None:
        self._connection.execute(
            insert(scanner_devices).values(
                id=device.id,
                venue_id=device.venue_id,
                public_jwk=device.public_jwk,
                registered_at=device.registered_at,
            )
        )

    def device(self, device_id: str) -> StoredDevice | None:
        row = self._connection.execute(
            select(scanner_devices).where(scanner_devices.c.id == device_id)
        ).one_or_none()
        return None if row is None else _device(row)

    def all_devices(self) -> list[StoredDevice]:
        rows = self._connection.execute(select(scanner_devices).order_by(scanner_devices.c.id))
        return [_device(row) for row in rows]

    def flag(self, device_id: str, reason: str | None, now: datetime | None) -> None:
        """Set (or, with None, clear) a device's flag."""
        self._connection.execute(
            update(scanner_devices)
            .where(scanner_devices.c.id == device_id)
            .values(flagged_at=now, flag_reason=reason)
        )

    def add_scan(
        self, device_id: str, venue_id: str, subject: str | None, at: datetime, decision: str
    ) -> None:
        self._connection.execute(
            insert(scans).values(
                device_id=device_id, venue_id=venue_id, subject=subject, at=at, decision=decision
            )
        )

    def recent_decisions(self, device_id: str, since: datetime, limit: int) -> list[str]:
        """The decisions of the device's latest scans after `since`, newest first."""
        rows = self._connection.execute(
            select(scans.c.decision)
            .where(scans.c.device_id == device_id, scans.c.at > since)
            .order_by(scans.c.at.desc(), scans.c.id.desc())
            .limit(limit)
        )
        return list(rows.scalars())

    def purge_scans(self, before: datetime) -> int:
        result = self._connection.execute(delete(scans).where(scans.c.at < before))
        return int(result.rowcount)


def _venue(row: Row[Any]) -> StoredVenue:
    return StoredVenue(
        row.id,
        row.name,
        row.category,
        row.region,
        row.area_risk,
        row.registered_by,
        row.registered_at,
    )


def _device(row: Row[Any]) -> StoredDevice:
    return StoredDevice(
        row.id,
        row.venue_id,
        dict(row.public_jwk),
        row.registered_at,
        row.flagged_at,
        row.flag_reason,
    )

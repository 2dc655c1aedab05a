"""Risk areas (A6) and severe designations (A7), kept with their validity and approval."""

from __future__ import annotations

from dataclasses import astuple
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from healthcode.db.schema import risk_areas, severe_designations
from healthcode.domain.areas import RiskArea, RiskLevel, SevereDesignation
from healthcode.domain.exposure import AreaIndex


class Change(StrEnum):
    ADDED = "added"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


class AreaStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def put_risk_area(self, area: RiskArea, recorded_by: str, now: datetime) -> Change:
        """A rating is identified by its region and start; a new level or end changes it."""
        key = (risk_areas.c.region == area.region) & (
            risk_areas.c.effective_from == area.effective_from
        )
        row = self._connection.execute(select(risk_areas).where(key)).one_or_none()
        values = {"level": area.level.value, "effective_to": area.effective_to}
        audit = {"recorded_by": recorded_by, "recorded_at": now}
        if row is None:
            self._connection.execute(
                insert(risk_areas).values(
                    region=area.region, effective_from=area.effective_from, **values, **audit
                )
            )
            return Change.ADDED
        if _risk_area(row) == area:
            return Change.UNCHANGED
        self._connection.execute(update(risk_areas).where(key).values(**values, **audit))
        return Change.CHANGED

    def put_severe(self, designation: SevereDesignation, recorded_by: str, now: datetime) -> Change:
        key = severe_designations.c.designation_id == designation.designation_id
        row = self._connection.execute(select(severe_designations).where(key)).one_or_none()
        values = {
            "region": designation.region,
            "venue_id": designation.venue_id,
            "lookback_days": designation.lookback_days,
            "effective_from": designation.effective_from,
            "effective_to": designation.effective_to,
            "approved_by": designation.approved_by,
            "assessment_ref": designation.assessment_ref,
            "recorded_by": recorded_by,
            "recorded_at": now,
        }
        if row is None:
            self._connection.execute(
                insert(severe_designations).values(
                    designation_id=designation.designation_id, **values
                )
            )
            return Change.ADDED
        if astuple(_severe(row)) == astuple(designation):
            return Change.UNCHANGED
        self._connection.execute(update(severe_designations).where(key).values(**values))
        return Change.CHANGED

    def severe(self, designation_id: str) -> SevereDesignation | None:
        row = self._connection.execute(
            select(severe_designations).where(
                severe_designations.c.designation_id == designation_id
            )
        ).one_or_none()
        return None if row is None else _severe(row)

    def in_force(self, at: datetime) -> tuple[list[RiskArea], list[SevereDesignation]]:
        """The ratings and designations in force at `at` (started, not yet ended)."""

        def current(table: Any) -> Any:
            ended = table.c.effective_to.is_(None) | (table.c.effective_to > at)
            return (table.c.effective_from <= at) & ended

        areas = select(risk_areas).where(current(risk_areas)).order_by(risk_areas.c.region)
        severe = (
            select(severe_designations)
            .where(current(severe_designations))
            .order_by(severe_designations.c.designation_id)
        )
        return (
            [_risk_area(row) for row in self._connection.execute(areas)],
            [_severe(row) for row in self._connection.execute(severe)],
        )

    def index(self) -> AreaIndex:
        return AreaIndex(*self.listed())

    def listed(self) -> tuple[list[RiskArea], list[SevereDesignation]]:
        """Every rating and designation, whenever in force (the columnar engine frames them)."""
        return (
            [_risk_area(row) for row in self._connection.execute(select(risk_areas))],
            [_severe(row) for row in self._connection.execute(select(severe_designations))],
        )


def _risk_area(row: Row[Any]) -> RiskArea:
    return RiskArea(
        row.region,
        RiskLevel(row.level),
        row.effective_from,
        row.effective_to,
    )


def _severe(row: Row[Any]) -> SevereDesignation:
    return SevereDesignation(
        row.designation_id,
        row.region,
        row.venue_id,
        row.lookback_days,
        row.effective_from,
        row.effective_to,
        row.approved_by,
        row.assessment_ref,
    )

"""Recording risk areas (A6) and severe designations (A7), re-evaluating everyone they can reach."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from healthcode.db.areas_store import Change
from healthcode.domain.areas import RiskArea, SevereDesignation
from healthcode.services.evaluation import reevaluate
from healthcode.services.runtime import UnitOfWork


@dataclass(slots=True)
class AreaReport:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    reevaluated: int = 0

    def count(self, change: Change) -> None:
        setattr(self, change.value, getattr(self, change.value) + 1)


def record_risk_areas(uow: UnitOfWork, areas: Sequence[RiskArea]) -> AreaReport:
    report = AreaReport()
    causes: dict[str, str | None] = {}
    for area in areas:
        change = uow.areas.put_risk_area(area, uow.actor.name, uow.now)
        report.count(change)
        if change is not Change.UNCHANGED:
            ref = f"risk_area:{area.region}@{area.effective_from.isoformat()}"
            uow.audit(f"risk_area.{change.value}", ref, detail=f"level={area.level.value}")
            causes |= dict.fromkeys(uow.facts.persons_who_stayed_in(area.region), ref)
    report.reevaluated = reevaluate(uow, causes, cause="area").evaluated
    return report


def record_severe_designations(
    uow: UnitOfWork, designations: Sequence[SevereDesignation]
) -> AreaReport:
    report = AreaReport()
    causes: dict[str, str | None] = {}
    for designation in designations:
        previous = uow.areas.severe(designation.designation_id)
        change = uow.areas.put_severe(designation, uow.actor.name, uow.now)
        report.count(change)
        if change is Change.UNCHANGED:
            continue
        ref = f"severe:{designation.designation_id}"
        uow.audit(f"severe.{change.value}", ref, detail=f"approved_by={designation.approved_by}")
        # A changed designation reaches both the people its old form reached and its new form.
        for version in (previous, designation):
            if version is not None and version.region is not None:
                causes |= dict.fromkeys(uow.facts.persons_who_stayed_in(version.region), ref)
    report.reevaluated = reevaluate(uow, causes, cause="severe").evaluated
    return report

"""Oversight of appeals (S6 分级负责): escalation when a unit runs out of time, and the figures
the console shows (volumes, time to answer, escalations, overdue; misuse reported apart).

The figures count appeals, not people, and name no one; they are read by staff who handle these
appeals one by one anyway, so counts are exact (unlike the code dashboards, where a small count
of red codes in a county could point at a person).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Final

from healthcode.db.appeals_store import StoredAppeal
from healthcode.domain.appeals import (
    AppealCategory,
    AppealEventKind,
    AppealStatus,
    due_at,
    escalated,
    is_overdue,
)
from healthcode.domain.regions import normalise
from healthcode.domain.roles import Role
from healthcode.services.appeals.common import record_event, time_limits
from healthcode.services.appeals.refusals import FORBIDDEN
from healthcode.services.principals import Principal
from healthcode.services.refusals import Refused
from healthcode.services.runtime import UnitOfWork

BATCH: Final = 1000
OVERSEERS: Final = frozenset(
    {Role.LOCAL_HANDLER, Role.HOTLINE_OPERATOR, Role.RULE_APPROVER, Role.AUDITOR}
)


@dataclass(frozen=True, slots=True)
class EscalationReport:
    escalated: int


def escalate_overdue(uow: UnitOfWork, limit: int = BATCH) -> EscalationReport:
    """Move every open appeal past due up one tier (county → city → province), with the new
    tier's time from now and an `escalated` event. Called by the worker each round; an appeal
    overdue at the province stays there, overdue, and the figures show it."""
    store = uow.appeals
    limits = time_limits(uow)
    moved = 0
    for appeal in store.overdue(uow.now, limit):
        higher = escalated(appeal.route)
        if higher is None:  # the store leaves out the province; kept for safety
            continue
        due = due_at(limits, appeal.category, higher.tier, uow.now)
        store.move(appeal.id, higher, due)
        old = appeal.route
        detail = f"{old.tier.value} {old.region} → {higher.tier.value} {higher.region}"
        record_event(uow, appeal.id, AppealEventKind.ESCALATED, uow.actor.name, detail)
        uow.audit("appeal.escalate", detail=f"appeal={appeal.id} unit={higher.region}")
        moved += 1
    return EscalationReport(moved)


@dataclass(slots=True)
class StatsRow:
    """Figures for the appeals first routed to one region, of one category."""

    region: str
    category: AppealCategory
    filed: int = 0  # every filing, repeats included
    merged: int = 0  # repeats merged into an open appeal
    open: int = 0
    answered: int = 0
    rejected: int = 0
    overdue: int = 0  # open and past due now
    escalations: int = 0  # escalations that happened since `since`
    hours_to_answer: list[float] = field(default_factory=list)

    @property
    def median_hours_to_answer(self) -> float | None:
        return median(self.hours_to_answer) if self.hours_to_answer else None


@dataclass(frozen=True, slots=True)
class AppealStats:
    scope: str | None  # the caller's region; None: the whole province
    since: datetime
    as_of: datetime
    rows: list[StatsRow]  # every category but misuse, by region and category
    misuse: list[StatsRow]  # S6: misuse that caused harm, reported on its own


def appeal_stats(uow: UnitOfWork, principal: Principal, since: datetime) -> AppealStats:
    """Appeals opened since `since` in the caller's region (a handler's own; others all)."""
    if not principal.roles & OVERSEERS:
        uow.audit("appeal.stats", outcome="refused")
        raise Refused(FORBIDDEN)
    scope = None if principal.region is None else normalise(principal.region)
    store = uow.appeals
    rows: dict[tuple[str, AppealCategory], StatsRow] = {}

    def row(region: str, category: AppealCategory) -> StatsRow:
        return rows.setdefault((region, category), StatsRow(region, category))

    for appeal in store.opened_since(since, scope):
        _count(row(appeal.origin_region, appeal.category), appeal, uow.now)
    for region, category in store.escalated_since(since, scope):
        row(region, category).escalations += 1
    ordered = sorted(rows.values(), key=lambda r: (r.region, r.category.value))
    uow.audit("appeal.stats", detail=f"region={scope or 'all'}")
    return AppealStats(
        scope,
        since,
        uow.now,
        [r for r in ordered if r.category is not AppealCategory.MISUSE],
        [r for r in ordered if r.category is AppealCategory.MISUSE],
    )


def _count(row: StatsRow, appeal: StoredAppeal, now: datetime) -> None:
    row.filed += 1
    if appeal.merged_into is not None:
        row.merged += 1
        return  # the primary carries the figures of the work
    if appeal.status is AppealStatus.OPEN:
        row.open += 1
    elif appeal.status is AppealStatus.ANSWERED:
        row.answered += 1
    else:
        row.rejected += 1
    if appeal.answered_at is not None:
        row.hours_to_answer.append((appeal.answered_at - appeal.opened_at).total_seconds() / 3600)
    elif appeal.status is AppealStatus.OPEN and is_overdue(appeal.due_at, now):
        row.overdue += 1

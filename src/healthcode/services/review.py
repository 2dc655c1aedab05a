"""Time moves codes too: re-evaluate persons whose next review has come (`healthcode worker`).

A review touches the few persons whose instant has come, so it runs a batch a transaction here;
a ruleset whose valid-from has come re-evaluates everyone, as a population job
(services/rulesets.py, services/population_jobs.py)."""

from __future__ import annotations

from dataclasses import dataclass

from healthcode.services.evaluation import reevaluate
from healthcode.services.runtime import UnitOfWork

BATCH = 1000


@dataclass(frozen=True, slots=True)
class ReviewReport:
    reviewed: int
    changed: int


def review_due(uow: UnitOfWork, limit: int = BATCH) -> ReviewReport:
    """One batch of persons whose `next_review_at` has passed; call again until none are left."""
    due = uow.states.due(uow.now, limit)
    if not due:
        return ReviewReport(0, 0)
    result = reevaluate(uow, dict.fromkeys(due, "next_review_at"), cause="time")
    uow.audit("codes.review", detail=f"reviewed={result.evaluated} changed={result.changed}")
    return ReviewReport(result.evaluated, result.changed)

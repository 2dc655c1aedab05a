"""Recording risk areas (A6) and severe designations (A7), re-evaluating everyone they can reach.

A change can reach a great many persons (a province-wide rating): they are queued for a
population job started in the same transaction (services/population_jobs.py). The areas API
answers at once and leaves the job to the background (the approval's way: a thread of the server
and the scheduled round, or the workers through a broker); `healthcode import areas|severe` waits
for it with a progress bar (`run_area_jobs`). Its progress is `area_job`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from healthcode.db.areas_store import Change
from healthcode.domain.areas import RiskArea, SevereDesignation
from healthcode.services.checkpoint.venues import forget_venues
from healthcode.services.population_jobs import (
    JobKind,
    JobProgress,
    ProgressCallback,
    job_progress,
    run_job,
    start_queued,
)
from healthcode.services.runtime import Runtime, UnitOfWork

MAX_LABEL = 160  # evaluation_jobs.label
AREA_JOB_KINDS: Final = (JobKind.AREA, JobKind.SEVERE)


@dataclass(slots=True)
class AreaReport:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    reevaluated: int = 0  # counted once the jobs have run (`run_area_jobs`), else none yet
    jobs: list[int] = field(default_factory=list)  # the population jobs started for the changes

    def count(self, change: Change) -> None:
        setattr(self, change.value, getattr(self, change.value) + 1)


def record_risk_areas(uow: UnitOfWork, areas: Sequence[RiskArea]) -> AreaReport:
    report = AreaReport()
    causes: dict[str, str | None] = {}
    refs: list[str] = []
    for area in areas:
        change = uow.areas.put_risk_area(area, uow.actor.name, uow.now)
        report.count(change)
        if change is not Change.UNCHANGED:
            ref = f"risk_area:{area.region}@{area.effective_from.isoformat()}"
            uow.audit(f"risk_area.{change.value}", ref, detail=f"level={area.level.value}")
            refs.append(ref)
            causes |= dict.fromkeys(uow.facts.persons_who_stayed_in(area.region), ref)
    if refs:
        forget_venues(uow)  # the risk level that counts at a venue may have changed
    _start(uow, report, JobKind.AREA, refs, causes)
    return report


def record_severe_designations(
    uow: UnitOfWork, designations: Sequence[SevereDesignation]
) -> AreaReport:
    report = AreaReport()
    causes: dict[str, str | None] = {}
    refs: list[str] = []
    for designation in designations:
        previous = uow.areas.severe(designation.designation_id)
        change = uow.areas.put_severe(designation, uow.actor.name, uow.now)
        report.count(change)
        if change is Change.UNCHANGED:
            continue
        ref = f"severe:{designation.designation_id}"
        uow.audit(f"severe.{change.value}", ref, detail=f"approved_by={designation.approved_by}")
        refs.append(ref)
        # A changed designation reaches both the people its old form reached and its new form.
        for version in (previous, designation):
            if version is not None and version.region is not None:
                causes |= dict.fromkeys(uow.facts.persons_who_stayed_in(version.region), ref)
    _start(uow, report, JobKind.SEVERE, refs, causes)
    return report


def run_area_jobs(
    runtime: Runtime,
    report: AreaReport,
    worker: str,
    on_progress: ProgressCallback | None = None,
) -> AreaReport:
    """Run the report's jobs here until they are finished; `reevaluated` then counts them."""
    for job_id in report.jobs:
        report.reevaluated += run_job(runtime, job_id, worker, on_progress).evaluated
    report.jobs = []
    return report


def area_job(uow: UnitOfWork, job_id: int) -> JobProgress | None:
    """How far the job of an area or severe change has come; None for any other job."""
    job = uow.jobs.job(job_id)
    if job is None or job.kind not in AREA_JOB_KINDS:
        return None
    return job_progress(uow, job_id)


def recent_area_jobs(uow: UnitOfWork, limit: int = 3) -> list[JobProgress]:
    """The latest jobs of area and severe changes, newest first (the console's progress)."""
    return [job_progress(uow, job.id) for job in uow.jobs.latest_jobs(AREA_JOB_KINDS, limit)]


def _start(
    uow: UnitOfWork,
    report: AreaReport,
    kind: JobKind,
    refs: list[str],
    causes: dict[str, str | None],
) -> None:
    if not refs:
        return
    label = refs[0] if len(refs) == 1 else f"{refs[0]} +{len(refs) - 1}"
    job = start_queued(uow, kind, label[:MAX_LABEL], causes, cause=kind.value)
    if job is not None:
        report.jobs.append(job)

"""Risk areas (A6) and severe areas and places (A7) over HTTP: the area feeds of the importer.

Who designates: the notice has risk areas rated by the national standard and severe areas decided
by the provincial leading group (省疫情防控工作领导小组), the same body that approves the rules. So
publishing either list is for RULE_APPROVER, the role that speaks for that group, and not for rule
authors: a change to the lists turns codes red or yellow as surely as a rule does (A6, A7), and
must come from the approving side. Rule authors, approvers, system administrators and auditors may
read what is in force (authors to test their rules against it, auditors to check it).

Batches are read like `healthcode import areas|severe`: the same located errors and report shape.
A change is recorded, and the population job that re-evaluates the persons it reaches is started,
in the request; the job runs after the answer (web/population_work.py, as a ruleset's activation
does), so a change reaching millions answers at once with its jobs, whose progress is at
`GET /api/v1/area-jobs/{job}`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from healthcode.domain.areas import RiskArea, SevereDesignation
from healthcode.domain.roles import Role
from healthcode.domain.timezones import display_instant
from healthcode.exchange import RecordParser, parse_risk_area, parse_severe_designation
from healthcode.services.areas import (
    AreaReport,
    area_job,
    record_risk_areas,
    record_severe_designations,
)
from healthcode.services.refusals import NOT_FOUND, Refused
from healthcode.services.runtime import UnitOfWork
from healthcode.web.access import Caller, allow
from healthcode.web.batches import BATCH_BODY, BatchReport, pages, parse_batch, read_body
from healthcode.web.deps import RowId, runtime_of, unit_of_work
from healthcode.web.population_work import progress_json, run_in_background

router = APIRouter(prefix="/api/v1", tags=["risk areas"])

T = TypeVar("T")

Designator = Annotated[
    Caller, Depends(allow(Role.RULE_APPROVER, purpose="publish risk areas and severe areas"))
]
Reader = Annotated[
    Caller,
    Depends(
        allow(
            Role.RULE_APPROVER,
            Role.RULE_AUTHOR,
            Role.SYSTEM_ADMIN,
            Role.AUDITOR,
            purpose="read the risk areas and severe areas in force",
        )
    ),
]


@router.put("/risk-areas", openapi_extra=BATCH_BODY)
async def put_risk_areas(request: Request, caller: Designator) -> dict[str, object]:
    """Ratings by region (`region`, `level`, `effective_from`, `effective_to`?); a rating is
    identified by region and start, so sending it again with a new level or end changes it.

    Answers once the ratings are recorded: `jobs` are the population jobs re-evaluating the
    persons they reach, and their progress so far (`reevaluated`: what they had done by then)."""
    body = await read_body(request)
    return await run_in_threadpool(_put, request, caller, body, parse_risk_area, record_risk_areas)


@router.put("/severe-designations", openapi_extra=BATCH_BODY)
async def put_severe_designations(request: Request, caller: Designator) -> dict[str, object]:
    """Severe areas or places (A7), each with its approval and risk assessment reference; answered
    like the risk areas, with the jobs re-evaluating the persons they reach."""
    body = await read_body(request)
    return await run_in_threadpool(
        _put, request, caller, body, parse_severe_designation, record_severe_designations
    )


@router.get("/area-jobs/{job_id}")
def area_job_progress(job_id: RowId, request: Request, caller: Reader) -> dict[str, Any]:
    """How far the job of an area or severe change has come: partitions done of all, persons
    evaluated of those it reaches, codes changed."""
    with unit_of_work(request, caller) as uow:
        progress = area_job(uow, job_id)
    if progress is None:
        raise Refused(NOT_FOUND)
    return progress_json(progress) | {"label": progress.label}


@router.get("/risk-areas")
def risk_areas_in_force(request: Request, caller: Reader) -> dict[str, Any]:
    """The ratings in force now (started and not ended), by region."""
    with unit_of_work(request, caller) as uow:
        areas, _ = uow.areas.in_force(uow.now)
        at = uow.now
    return {"at": display_instant(at), "risk_areas": [_risk_area(area) for area in areas]}


@router.get("/severe-designations")
def severe_designations_in_force(request: Request, caller: Reader) -> dict[str, Any]:
    """The severe areas and places in force now."""
    with unit_of_work(request, caller) as uow:
        _, designations = uow.areas.in_force(uow.now)
        at = uow.now
    return {"at": display_instant(at), "severe_designations": [_severe(d) for d in designations]}


def _put(
    request: Request,
    caller: Caller,
    body: bytes,
    parse: RecordParser[T],
    record: Callable[[UnitOfWork, Sequence[T]], AreaReport],
) -> dict[str, object]:
    values, rejected = parse_batch(body, request.headers.get("content-type", ""), parse)
    report = BatchReport(rejected=rejected)
    jobs: list[int] = []
    for page in pages(values):
        with unit_of_work(request, caller) as uow:
            stored = record(uow, [value for _, value in page])
        _add(report, stored)
        jobs += stored.jobs
    if rejected:  # the stored records are audited by the service; the refused ones here
        with unit_of_work(request, caller) as uow:
            uow.audit("areas.reject", outcome="refused", detail=f"rejected={len(rejected)}")
    progress = []
    if jobs:
        with unit_of_work(request, caller) as uow:
            progress = [shown for job in jobs if (shown := area_job(uow, job)) is not None]
        # After the answer's figures are read, so they say where the jobs stood when it was sent.
        run_in_background(runtime_of(request))
    report.reevaluated = sum(shown.evaluated for shown in progress)
    return report.as_json() | {
        "jobs": [progress_json(shown) | {"label": shown.label} for shown in progress]
    }


def _add(report: BatchReport, stored: AreaReport) -> None:
    report.accepted += stored.added + stored.changed
    report.duplicates += stored.unchanged


def _risk_area(area: RiskArea) -> dict[str, Any]:
    return {
        "region": area.region,
        "level": area.level.value,
        "effective_from": display_instant(area.effective_from),
        "effective_to": display_instant(area.effective_to),
    }


def _severe(designation: SevereDesignation) -> dict[str, Any]:
    return {
        "designation_id": designation.designation_id,
        "region": designation.region,
        "venue_id": designation.venue_id,
        "lookback_days": designation.lookback_days,
        "effective_from": display_instant(designation.effective_from),
        "effective_to": display_instant(designation.effective_to),
        "approved_by": designation.approved_by,
        "assessment_ref": designation.assessment_ref,
    }

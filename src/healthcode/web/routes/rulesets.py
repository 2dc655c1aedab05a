"""Rulesets over HTTP (A5, M1): draft, dry run, approval by a second person, activation.

The two-layer decision: a rule author drafts a version and sees its impact on today's population
(dry run); a rule approver, who must be a different person (enforced by the service and audited
when refused), approves it. Once approved, a version whose valid-from has come starts its
activation at once: a population job that re-evaluates everyone in the background (a thread of
this process, and the scheduler's round: web/population_work.py), so the approval answers at once
with the job, whose progress is at `GET /api/v1/rulesets/activations/{job}`; a later valid-from
is left to the scheduler.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from healthcode.db.rulesets_store import DRAFT, StoredRuleset
from healthcode.domain.roles import Role
from healthcode.domain.timezones import display_instant
from healthcode.services.population_jobs import JobKind, job_progress
from healthcode.services.refusals import NOT_FOUND, Refused
from healthcode.services.rulesets import (
    activate_due_rulesets,
    approve_ruleset,
    draft_ruleset,
    dry_run,
    prefecture_name,
)
from healthcode.web.access import Caller, allow
from healthcode.web.deps import RowId, runtime_of, unit_of_work
from healthcode.web.population_work import progress_json, run_in_background

router = APIRouter(prefix="/api/v1/rulesets", tags=["rulesets"])

Reader = Annotated[
    Caller,
    Depends(
        allow(
            Role.RULE_AUTHOR,
            Role.RULE_APPROVER,
            Role.AUDITOR,
            Role.SYSTEM_ADMIN,
            purpose="read ruleset versions",
        )
    ),
]
Author = Annotated[Caller, Depends(allow(Role.RULE_AUTHOR, purpose="draft a ruleset version"))]
Assessor = Annotated[
    Caller,
    Depends(
        allow(Role.RULE_AUTHOR, Role.RULE_APPROVER, purpose="assess a ruleset's impact (dry run)")
    ),
]
Approver = Annotated[
    Caller, Depends(allow(Role.RULE_APPROVER, purpose="approve a ruleset version"))
]
Document = Annotated[dict[str, Any], Body(description="The ruleset document (the YAML as JSON).")]


@router.get("")
def list_rulesets(request: Request, caller: Reader) -> dict[str, Any]:
    """Every stored version: draft, approved (waiting for its valid-from), active or superseded."""
    with unit_of_work(request, caller) as uow:
        stored = uow.rulesets.all()
        in_force = uow.rulesets.in_force(uow.now)
    current = None if in_force is None else in_force.label
    return {"rulesets": [_listed(version, current) for version in stored]}


@router.get("/activations/{job_id}")
def activation(job_id: RowId, request: Request, caller: Reader) -> dict[str, Any]:
    """How far an activation job has come: partitions done of all, persons evaluated, changed."""
    with unit_of_work(request, caller) as uow:
        job = uow.jobs.job(job_id)
        if job is None or job.kind != JobKind.RULESET:
            raise Refused(NOT_FOUND)
        progress = job_progress(uow, job_id)
    return progress_json(progress) | {"ruleset": progress.label}


@router.get("/{ruleset_id}/{version}")
def get_ruleset(ruleset_id: str, version: str, request: Request, caller: Reader) -> dict[str, Any]:
    with unit_of_work(request, caller) as uow:
        stored = uow.rulesets.get(ruleset_id, version)
        in_force = uow.rulesets.in_force(uow.now)
    if stored is None:
        raise Refused(NOT_FOUND)
    current = None if in_force is None else in_force.label
    return _listed(stored, current) | {"document": stored.document}


@router.post("", status_code=201)
def draft(document: Document, request: Request, caller: Author) -> dict[str, Any]:
    """Store a new version as a draft; a second person approves it."""
    with unit_of_work(request, caller) as uow:
        stored = draft_ruleset(uow, document)
    return _listed(stored, None)


@router.post("/dry-run")
def dry_run_document(document: Document, request: Request, caller: Assessor) -> dict[str, Any]:
    """How many people this version would move from one colour to another, overall and by
    prefecture, if it were in force now. Nothing is stored."""
    with unit_of_work(request, caller) as uow:
        report = dry_run(uow, document)
    # The names beside the codes: a page shows 杭州市, not 330100.
    region_names = {region: prefecture_name(region).as_dict() for region in report.by_region}
    return report.as_json() | {"turned": report.turned(), "region_names": region_names}


@router.post("/{ruleset_id}/{version}/approval")
def approve(ruleset_id: str, version: str, request: Request, caller: Approver) -> dict[str, Any]:
    """Approve someone else's draft; if its valid-from has come, its activation job starts.

    `activated`: the version is in force and its activation has started (`activation`: the job
    and its progress so far; `codes_evaluated` and `codes_changed` count what it has done by the
    time of the answer, normally nothing yet). Poll the job for the rest.
    """
    with unit_of_work(request, caller) as uow:
        approved = approve_ruleset(uow, ruleset_id, version)
    with unit_of_work(request, caller) as uow:
        activation = activate_due_rulesets(uow)
        in_force = uow.rulesets.in_force(uow.now)
    if activation is not None:
        run_in_background(runtime_of(request))
    current = None if in_force is None else in_force.label
    progress = None if activation is None else activation.progress
    return _listed(approved, current) | {
        "activated": activation is not None,
        "codes_evaluated": 0 if progress is None else progress.evaluated,
        "codes_changed": 0 if progress is None else progress.changed,
        "activation": None if progress is None else progress_json(progress),
    }


def _listed(stored: StoredRuleset, in_force: str | None) -> dict[str, Any]:
    return {
        "id": stored.ruleset_id,
        "version": stored.version,
        "valid_from": display_instant(stored.valid_from),
        "status": _status(stored, in_force),
        "author": stored.author,
        "approved_by": stored.approved_by,
        "approved_at": display_instant(stored.approved_at),
        "activated_at": display_instant(stored.activated_at),
    }


def _status(stored: StoredRuleset, in_force: str | None) -> str:
    if stored.status == DRAFT:
        return "draft"
    if stored.label == in_force:
        return "active"
    if stored.activated_at is not None:
        return "superseded"
    return "approved"  # waiting for its valid-from (or for the scheduler's next round)

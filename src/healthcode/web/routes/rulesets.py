"""Rulesets over HTTP (A5, M1): draft, dry run, approval by a second person, activation.

The two-layer decision: a rule author drafts a version and sees its impact on today's population
(dry run); a rule approver, who must be a different person (enforced by the service and audited
when refused), approves it. Once approved, a version whose valid-from has come is activated at
once, a page of persons a transaction as the worker does, so codes change colour within the
request that approved it; a later valid-from is left to the scheduler.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from healthcode.db.rulesets_store import DRAFT, StoredRuleset
from healthcode.domain.roles import Role
from healthcode.domain.timezones import display_instant
from healthcode.services.refusals import NOT_FOUND, Refused
from healthcode.services.rulesets import (
    Activation,
    activate_due_rulesets,
    approve_ruleset,
    draft_ruleset,
    dry_run,
)
from healthcode.web.access import Caller, allow
from healthcode.web.deps import unit_of_work

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
    return report.as_json() | {"turned": report.turned()}


@router.post("/{ruleset_id}/{version}/approval")
def approve(ruleset_id: str, version: str, request: Request, caller: Approver) -> dict[str, Any]:
    """Approve someone else's draft; if its valid-from has come, the population moves under it."""
    with unit_of_work(request, caller) as uow:
        approved = approve_ruleset(uow, ruleset_id, version)
    activation = _activate_due(request, caller)
    with unit_of_work(request, caller) as uow:
        in_force = uow.rulesets.in_force(uow.now)
    current = None if in_force is None else in_force.label
    return _listed(approved, current) | {
        "activated": activation is not None,
        "codes_evaluated": 0 if activation is None else activation.evaluated,
        "codes_changed": 0 if activation is None else activation.changed,
    }


def _activate_due(request: Request, caller: Caller) -> Activation | None:
    """Re-evaluate everyone under the versions now due, a page a transaction (as the worker)."""
    progress: Activation | None = None
    while True:
        with unit_of_work(request, caller) as uow:
            step = activate_due_rulesets(uow, progress)
        if step is None or step.done:
            return step if step is not None else progress
        progress = step


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

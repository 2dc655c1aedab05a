"""Rules (A5, M1): the versions and their status, a draft editor with a dry run, and the review
page where a second person sees a draft's impact before approving it.

Two kinds of version share the list (ADR 0016): colour rules and foreign acceptance rules, each in
force on its own. Only colour rules change colours, so only their drafts have a dry run; an
acceptance version is in force from its valid-from once approved (it needs no activation).

Drafting, the editor's dry run and approval go through `/api/v1/rulesets` (static/console/rules.js);
the review page runs the dry run itself, so the impact is on the page before the approve button.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from healthcode.db.rulesets_store import COLOURS, DRAFT, FOREIGN_ACCEPTANCE, StoredRuleset
from healthcode.domain.roles import Role
from healthcode.domain.text import Bilingual
from healthcode.domain.timezones import display_instant
from healthcode.rulesets import DEFAULT_RULESET
from healthcode.rulesets import bundled_document as bundled_document_of
from healthcode.services.refusals import NOT_FOUND, Refused
from healthcode.services.rulesets import (
    DryRun,
    activation_progress,
    dry_run,
    moves_json,
    prefecture_name,
)
from healthcode.services.runtime import UnitOfWork
from healthcode.web.access import Caller, allow
from healthcode.web.deps import unit_of_work
from healthcode.web.pages.console_charts import COLOUR_NAMES
from healthcode.web.pages.console_layout import RULES_ROLES, console_page

router = APIRouter(include_in_schema=False)
Reader = Annotated[Caller, Depends(allow(*RULES_ROLES, purpose="read and review ruleset versions"))]
BUNDLED: Final = "bundled"
KIND_NAMES: Final = {
    COLOURS: Bilingual("赋码规则", "Colour rules"),
    FOREIGN_ACCEPTANCE: Bilingual("境外证书采信规则", "Foreign acceptance rules"),
}
InForce = dict[str, str | None]  # kind -> the label of its version in force (None: the bundled)


@router.get("/console/rules", response_class=HTMLResponse)
def rules_page(request: Request, caller: Reader) -> HTMLResponse:
    """The versions, and how far the activation of the one in force has come (its job)."""
    with unit_of_work(request, caller) as uow:
        stored = uow.rulesets.all()
        in_force = uow.rulesets.in_force(uow.now)
        document = in_force.document if in_force is not None else bundled_document()
        labels = _in_force(uow)
        current = labels[COLOURS]
        activation = None if current is None else activation_progress(uow, current)
        now = uow.now
    return console_page(
        request,
        caller,
        "console/rules.html",
        activation=None if activation is None else activation.as_json(),
        versions=[listed(version, labels, now) for version in reversed(stored)],
        in_force=current or BUNDLED,
        acceptance_in_force=labels[FOREIGN_ACCEPTANCE] or BUNDLED,
        document=json.dumps(document, ensure_ascii=False, indent=2),
        may_draft=Role.RULE_AUTHOR in caller.signed_in.roles,
    )


@router.get("/console/rules/{ruleset_id}/{version}", response_class=HTMLResponse)
def review_page(ruleset_id: str, version: str, request: Request, caller: Reader) -> HTMLResponse:
    """A version's document; for a draft, its impact now and (for a second person) approval."""
    with unit_of_work(request, caller) as uow:
        stored = uow.rulesets.get(ruleset_id, version)
        if stored is None:
            raise Refused(NOT_FOUND)
        impact = _impact(uow, stored)
        shown = listed(stored, _in_force(uow), uow.now)
    roles = caller.signed_in.roles
    is_author = stored.author == caller.actor.name
    return console_page(
        request,
        caller,
        "console/rule_review.html",
        version=shown,
        document=json.dumps(stored.document, ensure_ascii=False, indent=2),
        impact=impact,
        colour_names=COLOUR_NAMES,
        is_author=is_author,
        may_approve=stored.status == DRAFT and Role.RULE_APPROVER in roles and not is_author,
    )


def listed(stored: StoredRuleset, in_force: InForce, now: datetime) -> dict[str, Any]:
    return {
        "id": stored.ruleset_id,
        "version": stored.version,
        "label": stored.label,
        "kind": stored.kind,
        "kind_name": KIND_NAMES.get(stored.kind, Bilingual(stored.kind, stored.kind)),
        "valid_from": display_instant(stored.valid_from),
        "status": _status(stored, in_force.get(stored.kind), now),
        "author": stored.author,
        "approved_by": stored.approved_by,
        "approved_at": display_instant(stored.approved_at),
    }


def bundled_document() -> dict[str, Any]:
    """The default ruleset as JSON text can hold it (its valid-from as ISO 8601)."""
    document: dict[str, Any] = json.loads(
        json.dumps(bundled_document_of(DEFAULT_RULESET), default=_iso)
    )
    return document


def _iso(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _in_force(uow: UnitOfWork) -> InForce:
    versions = {kind: uow.rulesets.in_force(uow.now, kind) for kind in KIND_NAMES}
    return {kind: None if version is None else version.label for kind, version in versions.items()}


def _status(stored: StoredRuleset, in_force: str | None, now: datetime) -> str:
    if stored.status == DRAFT:
        return "draft"
    if stored.label == in_force:
        return "active"
    if stored.kind == COLOURS:  # a colour version is in force once everyone is re-evaluated
        return "superseded" if stored.activated_at is not None else "approved"
    return "superseded" if stored.valid_from <= now else "approved"


def _impact(uow: UnitOfWork, stored: StoredRuleset) -> dict[str, Any] | None:
    """Only a draft of colour rules is still to be decided on by what it would change; its dry
    run is audited like the API's."""
    if stored.status != DRAFT or stored.kind != COLOURS:
        return None
    report: DryRun = dry_run(uow, stored.document)
    return {
        "evaluated": report.evaluated,
        "changes": moves_json(report.changes),
        "by_region": [
            {"name": prefecture_name(region), "changes": moves_json(moves)}
            for region, moves in report.by_region.items()
        ],
    }

"""The audit log viewer (D1, D2), for auditors only: who did what, in which role, for which
declared purpose; filters, paging back, and verification of its MACs and signed heads. Reading
the log and verifying it are themselves audited."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from healthcode.db.audit import AuditQuery
from healthcode.domain.timezones import CHINA_TIME
from healthcode.services.audit_log import audit_entry_json, read_audit_log, verify_audit_log
from healthcode.services.refusals import Refused, invalid_input
from healthcode.web.access import Caller, allow
from healthcode.web.deps import RowIdQuery, unit_of_work
from healthcode.web.pages.console_audit_names import (
    ACTOR_ROLE_NAMES,
    OUTCOME_NAMES,
    PURPOSE_NAMES,
    named,
)
from healthcode.web.pages.console_layout import AUDIT_ROLES, console_page

router = APIRouter(include_in_schema=False)
Auditor = Annotated[Caller, Depends(allow(*AUDIT_ROLES, purpose="audit who did what (D2)"))]
PAGE: Final = 50
Filter = Annotated[str | None, Query(max_length=64)]


@router.get("/console/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    caller: Auditor,
    action: Filter = None,
    actor: Filter = None,
    since: Filter = None,
    until: Filter = None,
    before: RowIdQuery = None,
    verify: bool = False,
) -> HTMLResponse:
    """`since` and `until` are China dates, both included; `verify` walks the whole chain."""
    first, last = _day(since, "since"), _day(until, "until")
    query = AuditQuery(action or None, actor or None, _start(first), _start(last, 1), before, PAGE)
    with unit_of_work(request, caller) as uow:
        entries = read_audit_log(uow, query)
        report = verify_audit_log(uow) if verify else None
    filters = {"action": action or "", "actor": actor or "", "since": first, "until": last}
    return console_page(
        request,
        caller,
        "console/audit.html",
        entries=[_named(audit_entry_json(logged)) for logged in entries],
        filters=filters,
        older=_older(filters, entries[-1].seq) if len(entries) == PAGE else None,
        report=report,
    )


def _named(entry: dict[str, Any]) -> dict[str, Any]:
    """The stored entry, with the reader's names beside its role, purpose and outcome."""
    return entry | {
        "role_name": named(ACTOR_ROLE_NAMES, entry["role"]),
        "purpose_name": named(PURPOSE_NAMES, entry["purpose"]),
        "outcome_name": named(OUTCOME_NAMES, entry["outcome"]),
    }


def _day(text: str | None, field: str) -> date | None:
    """A date from the filter form; an empty field is no filter."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Refused(invalid_input(field)) from None


def _older(filters: dict[str, Any], before: int) -> str:
    """The next page back, with the same filters."""
    kept = {name: str(value) for name, value in filters.items() if value}
    return "/console/audit?" + urlencode({**kept, "before": before})


def _start(day: date | None, later: int = 0) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=later), time(), CHINA_TIME)

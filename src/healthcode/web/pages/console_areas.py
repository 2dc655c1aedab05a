"""Risk areas (A6) and severe areas and places (A7) in force; rule approvers publish them through
`PUT /api/v1/risk-areas` and `PUT /api/v1/severe-designations` (static/console/areas.js).

A change answers at once and re-evaluates the persons it reaches in the background: the page
shows how far the latest such jobs have come, and follows the unfinished ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from healthcode.domain.areas import RiskLevel
from healthcode.domain.roles import Role
from healthcode.domain.timezones import display_instant
from healthcode.services.areas import recent_area_jobs
from healthcode.services.dashboard import region_name
from healthcode.web.access import Caller, allow
from healthcode.web.deps import unit_of_work
from healthcode.web.pages.console_layout import AREAS_ROLES, console_page

router = APIRouter(include_in_schema=False)
Reader = Annotated[
    Caller, Depends(allow(*AREAS_ROLES, purpose="read the risk areas and severe areas in force"))
]


@router.get("/console/areas", response_class=HTMLResponse)
def areas_page(request: Request, caller: Reader) -> HTMLResponse:
    with unit_of_work(request, caller) as uow:
        areas, designations = uow.areas.in_force(uow.now)
        jobs = recent_area_jobs(uow)
    return console_page(
        request,
        caller,
        "console/areas.html",
        areas=[
            {
                "region": area.region,
                "name": region_name(area.region),
                "level": area.level.value,
                "from": display_instant(area.effective_from),
                "to": display_instant(area.effective_to),
            }
            for area in areas
        ],
        designations=[
            {
                "id": d.designation_id,
                "place": d.venue_id or d.region or "",
                "name": region_name(d.region) if d.region else None,
                "lookback_days": d.lookback_days,
                "from": display_instant(d.effective_from),
                "to": display_instant(d.effective_to),
                "approved_by": d.approved_by,
                "assessment_ref": d.assessment_ref,
            }
            for d in designations
        ],
        jobs=[job.as_json() | {"label": job.label} for job in jobs],
        levels=[level.value for level in RiskLevel],
        may_designate=Role.RULE_APPROVER in caller.signed_in.roles,
    )

"""Venues (S2, M3, M5) and their scanner devices (D2); registration and flag clearance go through
`/api/v1/venues…` and `/api/v1/devices/{id}/flag-clearance` (static/console/venues.js)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from healthcode.domain.areas import RiskLevel
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.services.checkpoint.venues import list_devices, list_venues
from healthcode.web.access import Caller, allow
from healthcode.web.deps import unit_of_work
from healthcode.web.pages.console_layout import VENUES_ROLES, console_page

router = APIRouter(include_in_schema=False)
Reader = Annotated[
    Caller, Depends(allow(*VENUES_ROLES, purpose="read registered venues and scanner devices"))
]


@router.get("/console/venues", response_class=HTMLResponse)
def venues_page(request: Request, caller: Reader) -> HTMLResponse:
    with unit_of_work(request, caller) as uow:
        venues = [venue.as_json() for venue in list_venues(uow)]
        devices = [device.as_json() for device in list_devices(uow)]
    roles = caller.signed_in.roles
    return console_page(
        request,
        caller,
        "console/venues.html",
        venues=venues,
        devices=devices,
        categories=[category.value for category in Venue],
        levels=[level.value for level in RiskLevel],
        may_register_venue=Role.SYSTEM_ADMIN in roles,
        may_register_device=bool({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN} & roles),
        may_clear=Role.SECURITY_ADMIN in roles,
    )

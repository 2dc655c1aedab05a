"""Venues (S2, M3, M5) and their scanner devices (D2); registration and flag clearance go through
`/api/v1/venues…` and `/api/v1/devices/{id}/flag-clearance` (static/console/venues.js)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from healthcode.domain.areas import RiskLevel
from healthcode.domain.labels import RISK_NAMES, VENUE_NAMES
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.services.checkpoint.venues import list_devices, list_venues
from healthcode.services.dashboard import region_name
from healthcode.web.access import Caller, allow
from healthcode.web.deps import unit_of_work
from healthcode.web.pages.console_layout import VENUES_ROLES, console_page
from healthcode.web.pages.region_choices import region_choices

router = APIRouter(include_in_schema=False)
Reader = Annotated[
    Caller, Depends(allow(*VENUES_ROLES, purpose="read registered venues and scanner devices"))
]


@router.get("/console/venues", response_class=HTMLResponse)
def venues_page(request: Request, caller: Reader) -> HTMLResponse:
    with unit_of_work(request, caller) as uow:
        venues = [_named(venue.as_json()) for venue in list_venues(uow)]
        names = {venue["id"]: venue["name"] for venue in venues}
        devices = [
            device.as_json() | {"venue_name": names.get(device.venue_id)}
            for device in list_devices(uow)
        ]
    roles = caller.signed_in.roles
    return console_page(
        request,
        caller,
        "console/venues.html",
        venues=venues,
        devices=devices,
        categories=[(category.value, VENUE_NAMES[category]) for category in Venue],
        levels=[(level.value, RISK_NAMES[level]) for level in RiskLevel],
        region_choices=region_choices(),
        may_register_venue=Role.SYSTEM_ADMIN in roles,
        may_register_device=bool({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN} & roles),
        may_clear=Role.SECURITY_ADMIN in roles,
    )


def _named(venue: dict[str, str]) -> dict[str, object]:
    """The venue with what people call its category, region and risk beside the stored codes."""
    return venue | {
        "category_name": VENUE_NAMES[Venue(venue["category"])],
        "region_name": region_name(venue["region"]),
        "registered_risk_name": RISK_NAMES[RiskLevel(venue["registered_risk"])],
        "area_risk_name": RISK_NAMES[RiskLevel(venue["area_risk"])],
    }

"""Appeals in the console (S6): the 12345 desk (intake of a call, look-up when the person calls
back), the local handler's queue, and one appeal with its timeline and the handler's actions.

Reads call the appeal services directly; the forms act through `/api/v1/appeals`
(static/console/appeals.js), so each step goes through the same checks and audit as an app's.
An appeal the caller may not read is "not found", exactly as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from healthcode.domain.appeals import ZHEJIANG, AppealCategory, Language
from healthcode.domain.facts import DesignatedColour
from healthcode.domain.identity import IdType
from healthcode.domain.labels import ID_TYPE_NAMES
from healthcode.domain.roles import Role
from healthcode.domain.text import Bilingual
from healthcode.services.appeals.common import colour_of, time_limits
from healthcode.services.appeals.reading import appeal_for, appeals_for_handler
from healthcode.services.dashboard import region_name
from healthcode.services.refusals import NOT_FOUND, Refused
from healthcode.web.access import Caller, allow
from healthcode.web.appeal_views import STATUS_NAMES
from healthcode.web.deps import RowId, unit_of_work
from healthcode.web.pages import console_appeals_oversight
from healthcode.web.pages.console_appeals_names import (
    CATEGORY_NAMES,
    CHANNEL_NAMES,
    EVENT_NAMES,
    LANGUAGE_NAMES,
    TIER_NAMES,
)
from healthcode.web.pages.console_appeals_views import actions_for, detail, queue_row, when
from healthcode.web.pages.console_charts import COLOUR_NAMES
from healthcode.web.pages.console_layout import APPEAL_DESK_ROLES, APPEAL_READER_ROLES, console_page
from healthcode.web.pages.region_choices import region_choices

router = APIRouter(include_in_schema=False)
# Before `/console/appeals/{appeal_id}`, which would otherwise take "oversight" for an id.
router.include_router(console_appeals_oversight.router)
Desk = Annotated[
    Caller,
    Depends(allow(*APPEAL_DESK_ROLES, purpose="12345 appeal intake, callbacks and the queue")),
]
Reader = Annotated[
    Caller, Depends(allow(*APPEAL_READER_ROLES, purpose="read an appeal to handle or answer it"))
]
AppealId = RowId
NAMES: Final[dict[str, Mapping[Any, Bilingual]]] = {
    "categories": CATEGORY_NAMES,
    "statuses": STATUS_NAMES,
    "tiers": TIER_NAMES,
    "channels": CHANNEL_NAMES,
    "events": EVENT_NAMES,
    "colours": COLOUR_NAMES,
    "languages": LANGUAGE_NAMES,
}


@router.get("/console/appeals", response_class=HTMLResponse)
def appeals_page(request: Request, caller: Desk) -> HTMLResponse:
    """The operator's intake and look-up forms; the waiting appeals of the caller's region."""
    with unit_of_work(request, caller) as uow:
        waiting = appeals_for_handler(uow, caller.signed_in)
    roles = caller.signed_in.roles
    return console_page(
        request,
        caller,
        "console/appeals.html",
        queue=[queue_row(item) for item in waiting],
        is_operator=Role.HOTLINE_OPERATOR in roles,
        is_handler=Role.LOCAL_HANDLER in roles,
        id_types=ID_TYPE_NAMES,
        intake_categories=list(AppealCategory),
        intake_languages=list(Language),
        default_id_type=IdType.RESIDENT_ID,
        region_choices=region_choices(),
        names=NAMES,
        names_json=names_json(),
    )


def names_json() -> dict[str, dict[str, dict[str, str]]]:
    """The names the look-up script shows, both languages (it picks the reader's): with every
    place an appeal of the province can be routed to (county, city, province) by its name."""
    named = {
        group: {str(key): name.as_dict() for key, name in names.items()}
        for group, names in NAMES.items()
    }
    places = [ZHEJIANG, *(code for _, counties in region_choices() for code, _ in counties)]
    places += [code[:4] for code in places if code.endswith("00")]  # a city's tier: 4 digits
    return named | {"regions": {code: region_name(code).as_dict() for code in places}}


@router.get("/console/appeals/{appeal_id}", response_class=HTMLResponse)
def appeal_page(appeal_id: AppealId, request: Request, caller: Reader) -> HTMLResponse:
    with unit_of_work(request, caller) as uow:
        view = appeal_for(uow, caller.signed_in, appeal_id)
        colour_now = None if view is None else colour_of(uow, view.appeal.person_id)
        longest = uow.now + time_limits(uow).override_max
        now = uow.now
    if view is None:
        raise Refused(NOT_FOUND)
    return console_page(
        request,
        caller,
        "console/appeals_detail.html",
        appeal=detail(view, colour_now),
        may=actions_for(caller.signed_in, view),
        names=NAMES,
        override_colours=list(DesignatedColour),
        now_local=when(now).replace(" ", "T"),
        default_expiry=when(min(now + timedelta(days=7), longest)).replace(" ", "T"),
        longest_expiry=when(longest).replace(" ", "T"),
    )

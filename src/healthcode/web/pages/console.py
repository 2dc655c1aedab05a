"""The staff console (issue #5 §6): a home page listing what the signed-in role may open, and the
console's pages, each in its own module and each declaring the roles that may open it (D2).

Pages read through the stores and use cases directly; their forms act through the JSON API
(`static/console/*.js`), so every change goes through the same checks and audit as an app's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from healthcode.web.access import Caller, allow
from healthcode.web.pages import (
    console_admin,
    console_appeals,
    console_areas,
    console_audit,
    console_certificates,
    console_dashboard,
    console_rules,
    console_venues,
)
from healthcode.web.pages.console_layout import HOME_ROLES, console_page, pages_for

router = APIRouter(include_in_schema=False)


@router.get("/console", response_class=HTMLResponse)
def home(
    request: Request,
    caller: Annotated[Caller, Depends(allow(*HOME_ROLES, purpose="staff console home"))],
) -> HTMLResponse:
    return console_page(request, caller, "console/home.html", links=pages_for(caller))


for _module in (
    console_dashboard,
    console_rules,
    console_areas,
    console_venues,
    console_admin,
    console_audit,
    console_appeals,
    console_certificates,
):
    router.include_router(_module.router)

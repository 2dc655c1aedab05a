"""Department clients (D1: who may use code data, for which categories and purpose) and staff
accounts with their roles (D2), for security administrators. Creating and disabling go through
`/api/v1/admin/…` (static/console/admin.js); a new secret is shown once, in the page only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from healthcode.domain.facts import EVENT_TYPES
from healthcode.domain.roles import ROLE_NAMES, STAFF_ROLES, Role
from healthcode.domain.timezones import display_instant
from healthcode.services.accounts import list_clients, list_staff
from healthcode.services.checkpoint.institutions import list_institutions
from healthcode.services.dashboard import region_name
from healthcode.web.access import Caller, allow
from healthcode.web.deps import unit_of_work
from healthcode.web.pages.console_layout import ADMIN_ROLES, console_page
from healthcode.web.pages.region_choices import region_choices

router = APIRouter(include_in_schema=False)
SecurityAdmin = Annotated[
    Caller, Depends(allow(*ADMIN_ROLES, purpose="manage staff accounts and clients (D2)"))
]


@router.get("/console/clients", response_class=HTMLResponse)
def clients_page(request: Request, caller: SecurityAdmin) -> HTMLResponse:
    with unit_of_work(request, caller) as uow:
        clients = list_clients(uow)
    return console_page(
        request,
        caller,
        "console/clients.html",
        clients=[
            {
                "id": client.id,
                "name": client.name,
                "department": client.department,
                "categories": client.categories,
                "purpose": client.purpose,
                "created_at": display_instant(client.created_at),
                "disabled_at": display_instant(client.disabled_at),
            }
            for client in clients
        ],
        categories=sorted(EVENT_TYPES),
    )


@router.get("/console/staff", response_class=HTMLResponse)
def staff_page(request: Request, caller: SecurityAdmin) -> HTMLResponse:
    with unit_of_work(request, caller) as uow:
        accounts = list_staff(uow)
        institutions = list_institutions(uow)
    roles = [(role.value, ROLE_NAMES[role]) for role in sorted(STAFF_ROLES)]  # those one may grant
    return console_page(
        request,
        caller,
        "console/staff.html",
        accounts=[
            {
                "id": account.id,
                "username": account.username,
                "roles": [ROLE_NAMES[Role(role)] for role in account.roles],
                "region": account.region,
                "region_name": None if account.region is None else region_name(account.region),
                "created_at": display_instant(account.created_at),
                "disabled_at": display_instant(account.disabled_at),
            }
            for account in accounts
        ],
        roles=roles,
        institutions=institutions,
        region_choices=region_choices(),
    )

"""The dashboard API (issue #5 §6, D2): counts by colour and region, colour moves by day.

Counts only, from the tallies (no sealed record is opened, no person is named); small cells are
hidden as `"<5"` for every role, see `services/dashboard.py` for why. A local handler sees only
the counts inside the region they answer for.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request

from healthcode.domain.roles import Role
from healthcode.services.dashboard import MAX_DAYS, dashboard
from healthcode.web.access import Caller, allow
from healthcode.web.deps import unit_of_work

router = APIRouter(prefix="/api/v1", tags=["dashboard"])

DASHBOARD_ROLES: Final = (
    Role.SYSTEM_ADMIN,
    Role.RULE_AUTHOR,
    Role.RULE_APPROVER,
    Role.AUDITOR,
    Role.LOCAL_HANDLER,
    Role.HOTLINE_OPERATOR,
)
DEFAULT_DAYS: Final = 14
Reader = Annotated[
    Caller, Depends(allow(*DASHBOARD_ROLES, purpose="epidemic situation overview (counts only)"))
]


@router.get("/dashboard")
def read_dashboard(
    request: Request,
    caller: Reader,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = DEFAULT_DAYS,
) -> dict[str, Any]:
    """Codes by colour and region now; new codes and colour moves per day for the last `days`."""
    with unit_of_work(request, caller) as uow:
        return dashboard(uow, dashboard_scope(caller), days).as_json()


def dashboard_scope(caller: Caller) -> str | None:
    """The caller's region (属地: a local handler's area); None for province-wide staff."""
    return caller.signed_in.region

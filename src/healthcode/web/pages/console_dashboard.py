"""The dashboard page: the same counts as `GET /api/v1/dashboard`, as charts with tables beside."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from healthcode.domain.text import Bilingual
from healthcode.services.dashboard import MAX_DAYS, RegionRow, dashboard, region_name
from healthcode.web.access import Caller, allow
from healthcode.web.deps import unit_of_work
from healthcode.web.i18n import language
from healthcode.web.pages.console_charts import COLOUR_NAMES, NEW_CODES, moves_lines, region_bars
from healthcode.web.pages.console_layout import console_page
from healthcode.web.routes.dashboard import DASHBOARD_ROLES, DEFAULT_DAYS, dashboard_scope

router = APIRouter(include_in_schema=False)
WHOLE_PROVINCE = Bilingual("全省", "Whole province")


@router.get("/console/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    caller: Annotated[
        Caller,
        Depends(allow(*DASHBOARD_ROLES, purpose="epidemic situation overview (counts only)")),
    ],
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = DEFAULT_DAYS,
) -> HTMLResponse:
    scope = dashboard_scope(caller)
    with unit_of_work(request, caller) as uow:
        shown = dashboard(uow, scope, days)
    lang = language(request)
    area = WHOLE_PROVINCE if scope is None else region_name(scope)
    totals = RegionRow(scope or "", area, shown.by_colour)
    return console_page(
        request,
        caller,
        "console/dashboard.html",
        board=shown,
        area=area,
        days=days,
        colour_names=COLOUR_NAMES,
        new_codes=NEW_CODES,
        totals_chart=region_bars([totals], lang),
        region_chart=region_bars(shown.by_region, lang),
        moves_chart=moves_lines(shown.by_day),
    )

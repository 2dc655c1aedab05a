"""Appeal oversight (S6 分级负责): volumes, time to answer, escalations and overdue appeals by
region and category, with misuse of the code reported on its own (S6's last sentence).

The figures are `appeal_stats`'s (a handler sees their region's, others the province's); the chart
is inline SVG drawn by the same macro as the dashboard's, with the table holding the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from healthcode.domain.text import Bilingual
from healthcode.services.appeals.oversight import StatsRow, appeal_stats
from healthcode.services.dashboard import region_name
from healthcode.web.access import Caller, allow
from healthcode.web.deps import unit_of_work
from healthcode.web.i18n import language
from healthcode.web.pages.console_appeals_names import CATEGORY_NAMES
from healthcode.web.pages.console_appeals_views import when
from healthcode.web.pages.console_charts import BAR_ROW, MARGIN, PLOT_LEFT, WIDTH, Bar, BarChart
from healthcode.web.pages.console_layout import APPEAL_OVERSIGHT_ROLES, console_page

router = APIRouter(include_in_schema=False)
Overseer = Annotated[
    Caller,
    Depends(allow(*APPEAL_OVERSIGHT_ROLES, purpose="oversee appeals: volumes, delays, misuse")),
]
MAX_DAYS: Final = 366
DEFAULT_DAYS: Final = 30
# The three bars drawn per region; the key is the bar's CSS class (static/console/appeals.css).
SERIES: Final = {
    "filed": Bilingual("受理", "Filed"),
    "overdue": Bilingual("超期未办", "Overdue"),
    "escalated": Bilingual("升级", "Escalated"),
}
WHOLE_PROVINCE: Final = Bilingual("全省", "Whole province")


@dataclass(frozen=True, slots=True)
class RegionTotals:
    region: str
    name: Bilingual
    counts: dict[str, int]  # keyed like SERIES


@router.get("/console/appeals/oversight", response_class=HTMLResponse)
def oversight_page(
    request: Request,
    caller: Overseer,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = DEFAULT_DAYS,
) -> HTMLResponse:
    with unit_of_work(request, caller) as uow:
        stats = appeal_stats(uow, caller.signed_in, uow.now - timedelta(days=days))
    totals = region_totals(stats.rows)
    return console_page(
        request,
        caller,
        "console/appeals_oversight.html",
        stats=stats,
        days=days,
        area=WHOLE_PROVINCE if stats.scope is None else region_name(stats.scope),
        since=when(stats.since),
        as_of=when(stats.as_of),
        rows=[shown(row) for row in stats.rows],
        misuse=[shown(row) for row in stats.misuse],
        totals=totals,
        chart=totals_chart(totals, language(request)),
        series=SERIES,
    )


def shown(row: StatsRow) -> dict[str, object]:
    middle = row.median_hours_to_answer
    return {
        "region": row.region,
        "region_name": region_name(row.region),
        "category": row.category,
        "category_name": CATEGORY_NAMES[row.category],
        "filed": row.filed,
        "merged": row.merged,
        "open": row.open,
        "answered": row.answered,
        "rejected": row.rejected,
        "overdue": row.overdue,
        "escalations": row.escalations,
        "median_hours": None if middle is None else f"{middle:.1f}",
    }


def region_totals(rows: list[StatsRow]) -> list[RegionTotals]:
    """Every category summed per region of first routing, for the chart."""
    totals: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = totals.setdefault(row.region, dict.fromkeys(SERIES, 0))
        counts["filed"] += row.filed
        counts["overdue"] += row.overdue
        counts["escalated"] += row.escalations
    return [RegionTotals(code, region_name(code), counts) for code, counts in totals.items()]


def totals_chart(totals: list[RegionTotals], lang: str) -> BarChart:
    """Horizontal bars, three per region: filed, overdue, escalated."""
    top = max((value for t in totals for value in t.counts.values()), default=0) or 1
    span = WIDTH - PLOT_LEFT - 60
    group = BAR_ROW * len(SERIES) + 14
    bars, labels = [], []
    for index, region in enumerate(totals):
        base = MARGIN / 2 + index * group
        name = region.name.en if lang == "en" else region.name.zh
        labels.append((base + BAR_ROW * len(SERIES) / 2, name))
        for offset, key in enumerate(SERIES):
            value = region.counts[key]
            y = base + offset * BAR_ROW
            bars.append(Bar(name, key, str(value), PLOT_LEFT, y, span * value / top, BAR_ROW - 2))
    return BarChart(WIDTH, int(MARGIN + len(totals) * group), bars, labels)

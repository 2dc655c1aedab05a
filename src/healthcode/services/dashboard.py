"""Dashboards (issue #5 §6, D2): codes by colour and region now, and colour moves by day.

Read from the tallies the re-evaluation keeps (`db/tallies_store.py`): counts by county only, so a
dashboard never opens a sealed record and never holds a person id.

Small cells. A count from 1 to 4 is shown as `"<5"`, for every role: a handful of red codes in
one county on one day can point at a person (D2 allows only data from which no individual can be
identified). No role needs the exact small number here: rule authors and approvers measure a
rule's impact with the dry run (exact, audited), local handlers and 12345 operators work one case
at a time through their own workflows. Zero is shown as it is. A colour's total would let the one
hidden cell of its column be worked out by subtraction, so when exactly one region cell of a
colour is hidden, the total is given as the range it lies in (`"12–15"`) instead.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from healthcode.domain.regions import covers, division, normalise
from healthcode.domain.text import Bilingual
from healthcode.domain.timezones import CHINA_TIME
from healthcode.services.runtime import UnitOfWork

COLOURS: Final = ("green", "yellow", "red")
SMALL: Final = 5  # counts below this (and above zero) are not shown exactly
HIDDEN: Final = "<5"
MAX_DAYS: Final = 90
UNKNOWN_REGION: Final = Bilingual("未登记地区", "Region not known")
# Table entries that name a group of counties, not a place: the province names it better.
_PLACEHOLDERS: Final = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})

Shown = int | str  # an exact count, "<5", or a range such as "12–15"


@dataclass(frozen=True, slots=True)
class RegionRow:
    code: str  # "" when the people's region of registration is not known
    name: Bilingual
    counts: dict[str, Shown]


@dataclass(frozen=True, slots=True)
class DayRow:
    day: str  # China date
    new_codes: Shown
    moves: dict[str, Shown]  # colour → codes that turned that colour that day


@dataclass(frozen=True, slots=True)
class Dashboard:
    scope: str | None  # the caller's region; None: the whole province
    as_of: str
    by_colour: dict[str, Shown]
    by_region: list[RegionRow]
    by_day: list[DayRow]

    def as_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "as_of": self.as_of,
            "small_cells": HIDDEN,
            "by_colour": self.by_colour,
            "by_region": [
                {
                    "code": row.code,
                    "name": row.name.zh,
                    "name_en": row.name.en,
                    "counts": row.counts,
                }
                for row in self.by_region
            ],
            "moves_by_day": [
                {"day": row.day, "new_codes": row.new_codes, **_prefixed(row.moves)}
                for row in self.by_day
            ],
        }


def dashboard(uow: UnitOfWork, scope: str | None, days: int) -> Dashboard:
    """Counts inside `scope` (a region code, None for everything) and moves over `days` days."""
    store = uow.tallies
    cells: Counter[tuple[str, str]] = Counter()
    for region, colour, count in store.by_region():
        if _inside(scope, region) and count > 0:
            cells[(_group(region, scope), colour)] += count
    today = uow.now.astimezone(CHINA_TIME).date()
    first = today - timedelta(days=days - 1)
    moves = [move for move in store.moves_since(first.isoformat()) if _inside(scope, move[1])]
    uow.audit("dashboard.read", scope or "province", detail=f"days={days}")
    return Dashboard(
        scope=scope,
        as_of=uow.now.astimezone(CHINA_TIME).isoformat(),
        by_colour=colour_totals(cells),
        by_region=_region_rows(cells),
        by_day=_day_rows(moves, first, today),
    )


def shown(count: int) -> Shown:
    return HIDDEN if 0 < count < SMALL else count


def region_name(code: str) -> Bilingual:
    """A province, prefecture or county by its Chinese name (with the code in English)."""
    if not code:
        return UNKNOWN_REGION
    written = code
    # 330100 is the city 3301, not a county of it; what is no code is named by its digits.
    with contextlib.suppress(ValueError):
        code = normalise(code)
    name = _place(code[:2] + "0000", code[:2])
    if len(code) > 2:
        name = _place(code[:4] + "00", name)
    if len(code) > 4:
        county = division(code[:6])
        known = county is not None and county.name not in _PLACEHOLDERS
        name = f"{name}{county.name}" if county is not None and known else f"{name} {code[:6]}"
    return Bilingual(name, f"{name} ({written})")


def _place(code6: str, fallback: str) -> str:
    """The table's name, or the name of the level above for a placeholder such as 市辖区."""
    found = division(code6)
    if found is None:
        return fallback
    return found.province if found.name in _PLACEHOLDERS else found.name


def _inside(scope: str | None, region: str) -> bool:
    if scope is None:
        return True
    return bool(region) and covers(scope, region)


def _group(region: str, scope: str | None) -> str:
    """Prefectures for the whole province; counties for a caller whose area is narrower."""
    if not region:
        return ""
    wide = scope is None or len(normalise(scope)) <= 2
    return region[:4] if wide else region[:6]


def _region_rows(cells: Counter[tuple[str, str]]) -> list[RegionRow]:
    codes = sorted({code for code, _ in cells}, key=lambda code: (code == "", code))
    return [
        RegionRow(code, region_name(code), {c: shown(cells[(code, c)]) for c in COLOURS})
        for code in codes
    ]


def colour_totals(cells: Counter[tuple[str, str]]) -> dict[str, Shown]:
    totals: dict[str, Shown] = {}
    for colour in COLOURS:
        column = [count for (_, c), count in cells.items() if c == colour]
        total = sum(column)
        hidden = [count for count in column if 0 < count < SMALL]
        if len(hidden) == 1 and total >= SMALL:
            # Exact, it would give the hidden cell away: total minus the cells shown.
            low = total - hidden[0] + 1
            totals[colour] = f"{low}–{low + SMALL - 2}"
        else:
            totals[colour] = shown(total)
    return totals


def _day_rows(moves: list[tuple[str, str, str, str, int]], first: date, last: date) -> list[DayRow]:
    new_codes: Counter[str] = Counter()
    turned: Counter[tuple[str, str]] = Counter()
    for day, _region, before, after, count in moves:
        if before:
            turned[(day, after)] += count
        else:
            new_codes[day] += count
    rows = []
    for offset in range((last - first).days + 1):
        day = (first + timedelta(days=offset)).isoformat()
        colours = {colour: shown(turned[(day, colour)]) for colour in COLOURS}
        rows.append(DayRow(day, shown(new_codes[day]), colours))
    return rows


def _prefixed(moves: dict[str, Shown]) -> dict[str, Shown]:
    return {f"to_{colour}": count for colour, count in moves.items()}

"""Chart geometry for the dashboard page: inline SVG drawn by the template, no chart library.

A hidden small count (`"<5"`) is drawn as an empty bar labelled `<5`, and a range (`"12–15"`) at
its lower end: a chart never shows more precision than the table beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from healthcode.domain.text import Bilingual
from healthcode.services.dashboard import COLOURS, DayRow, RegionRow, Shown

COLOUR_NAMES: Final = {
    "green": Bilingual("绿码", "Green"),
    "yellow": Bilingual("黄码", "Yellow"),
    "red": Bilingual("红码", "Red"),
}
NEW_CODES: Final = Bilingual("新赋码", "New codes")
WIDTH: Final = 640
PLOT_LEFT: Final = 150  # room for the labels of horizontal bars
BAR_ROW: Final = 12
LINE_HEIGHT: Final = 220
MARGIN: Final = 30


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    colour: str
    value: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    labels: list[tuple[float, str]]  # y, region name


@dataclass(frozen=True, slots=True)
class Line:
    key: str
    name: Bilingual
    points: str  # SVG polyline points
    dots: list[tuple[float, float, str]]  # x, y, shown value


@dataclass(frozen=True, slots=True)
class LineChart:
    width: int
    height: int
    lines: list[Line]
    days: list[tuple[float, str]]  # x, day label (every few days)
    top: int  # the value at the top of the plot


def number(value: Shown) -> int:
    """What to draw: the exact count, 0 for a hidden one, the lower end of a range."""
    if isinstance(value, int):
        return value
    head = value.split("–")[0]
    return int(head) if head.isdigit() else 0


def region_bars(rows: list[RegionRow], lang: str) -> BarChart:
    """Horizontal bars, three per region (green, yellow, red)."""
    top = max((number(v) for row in rows for v in row.counts.values()), default=0) or 1
    span = WIDTH - PLOT_LEFT - 60
    bars, labels = [], []
    for index, row in enumerate(rows):
        base = MARGIN / 2 + index * (BAR_ROW * 3 + 14)
        name = row.name.en if lang == "en" else row.name.zh
        labels.append((base + BAR_ROW * 1.5, name))
        for offset, colour in enumerate(COLOURS):
            value = row.counts[colour]
            length = span * number(value) / top
            y = base + offset * BAR_ROW
            bars.append(Bar(name, colour, str(value), PLOT_LEFT, y, length, BAR_ROW - 2))
    height = int(MARGIN + len(rows) * (BAR_ROW * 3 + 14))
    return BarChart(WIDTH, height, bars, labels)


def moves_lines(days: list[DayRow]) -> LineChart:
    """One line per colour a code turned, and one for new codes, across the days."""
    series: dict[str, tuple[Bilingual, list[Shown]]] = {
        colour: (COLOUR_NAMES[colour], [row.moves[colour] for row in days]) for colour in COLOURS
    }
    series["new"] = (NEW_CODES, [row.new_codes for row in days])
    top = max((number(v) for _, values in series.values() for v in values), default=0) or 1
    plot_width = WIDTH - 2 * MARGIN
    step = plot_width / max(len(days) - 1, 1)
    lines = []
    for key, (name, values) in series.items():
        dots = [(MARGIN + i * step, _y(number(v), top), str(v)) for i, v in enumerate(values)]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in dots)
        lines.append(Line(key, name, points, dots))
    every = max(len(days) // 7, 1)
    labels = [(MARGIN + i * step, row.day[5:]) for i, row in enumerate(days) if i % every == 0]
    return LineChart(WIDTH, LINE_HEIGHT + 2 * MARGIN, lines, labels, top)


def _y(value: int, top: int) -> float:
    return MARGIN + LINE_HEIGHT * (1 - value / top)

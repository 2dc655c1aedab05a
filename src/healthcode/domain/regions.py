"""GB/T 2260 administrative division codes: structure, area matching and the pinned division table.

A code is 2 (province) + 2 (prefecture) + 2 (county) digits, optionally followed by 3 (township) and
3 (village) digits. An area covers every code it is a prefix of once trailing all-zero groups are
dropped: `330100` (杭州市) covers `330102` and `330102001`, `33` (浙江省) covers all of Zhejiang.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

# Where the group ending at each code length starts: province 2, prefecture 2, county 2,
# township 3, village 3 digits.
_GROUP_START: Final = {4: 2, 6: 4, 9: 6, 12: 9}
_FULL_CODE: Final = re.compile(r"[0-9]{6}(?:[0-9]{3}){0,2}")  # 6, 9 or 12 digits
# Normalised forms end on a group boundary; normalise() accepts them too, so it is idempotent.
_ANY_CODE: Final = re.compile(r"[0-9]{2}|[0-9]{4}|[0-9]{6}(?:[0-9]{3}){0,2}")


@dataclass(frozen=True)
class Division:
    """One county-level (or higher) division of the table, current or abolished."""

    code: str  # 6 digits
    name: str  # Chinese name, the last one the code carried
    province: str  # Chinese name of the province-level division
    current: bool
    abolished_in: int | None  # year the code went out of use, when known


def normalise(code: str) -> str:
    """Drop trailing all-zero groups: `330100` → `3301`, `330102001000` → `330102001`.

    Raises ValueError for anything that is not a code (region_problem() checks input first).
    """
    if not _ANY_CODE.fullmatch(code) or code.startswith("00"):
        raise ValueError("not a GB/T 2260 division code")
    end = len(code)
    while end in _GROUP_START and not code[_GROUP_START[end] : end].strip("0"):
        end = _GROUP_START[end]
    return code[:end]


def covers(area: str, code: str) -> bool:
    """Whether `code` lies inside `area` (both any GB/T 2260 code, including normalised forms)."""
    return normalise(code).startswith(normalise(area))


def prefecture_of(code: str) -> str:
    """The 4-digit prefecture-level prefix: `330102001` → `3301` (杭州市), for M3's "stay in town".

    Municipalities are split into pseudo-prefectures (`5001` 市辖区, `5002` 县 in Chongqing), so for
    them the province is the city.
    """
    if len(normalise(code)) < 4:
        raise ValueError("a province-level code has no prefecture")
    return code[:4]


def province_of(code: str) -> str:
    """The 2-digit province-level prefix (`330102` → `33`)."""
    normalise(code)  # validates
    return code[:2]


def region_problem(code: str) -> str | None:
    """None for a 6, 9 or 12-digit code starting with a known division's code, else the reason."""
    if not _FULL_CODE.fullmatch(code):
        return "must be 6, 9 or 12 digits"
    if division(code[:6]) is None:
        return "unknown GB/T 2260 division in the first 6 digits"  # never the code itself
    return None


def division(code6: str) -> Division | None:
    """The division with this 6-digit code, current or historical; None when the table lacks it."""
    return _divisions().get(code6)


def codes_within(area: str) -> list[str]:
    """The 6-digit codes of the table, current or historical, that `area` covers, in code order:
    every county a stay inside a province or prefecture can name (`region_problem` asks for one)."""
    prefix = normalise(area)
    return [code for code in _divisions() if code.startswith(prefix)]


def current_prefectures(province: str) -> list[Division]:
    """The current prefecture-level divisions of a 2-digit province, in code order."""
    return [
        found
        for code, found in _divisions().items()
        if code.startswith(province) and code.endswith("00") and not code.endswith("0000")
        and found.current
    ]  # fmt: skip


def current_counties(prefecture: Division) -> list[Division]:
    """The current county-level divisions of a prefecture, without its placeholder (市辖区)."""
    return [
        found
        for code, found in _divisions().items()
        if code.startswith(prefecture.code[:4]) and not code.endswith("00") and found.current
        and found.name != "市辖区"
    ]  # fmt: skip


@cache
def _divisions() -> dict[str, Division]:
    table = resources.files("healthcode") / "data" / "gb2260.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    reader = csv.DictReader(line for line in lines if not line.startswith("#"))
    return {
        row["code"]: Division(
            code=row["code"],
            name=row["name"],
            province=row["province"],
            current=row["status"] == "current",
            abolished_in=int(row["abolished_in"]) if row["abolished_in"] else None,
        )
        for row in reader
    }

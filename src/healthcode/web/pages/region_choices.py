"""The places a console form offers by name (templates/console/region_picker.html): each
prefecture of the province, from the GB/T 2260 table, with its counties; no typed codes."""

from __future__ import annotations

from functools import cache

from healthcode.domain.appeals import ZHEJIANG
from healthcode.domain.regions import current_counties, current_prefectures
from healthcode.domain.text import Bilingual
from healthcode.services.dashboard import region_name

RegionChoices = list[tuple[Bilingual, list[tuple[str, Bilingual]]]]


@cache
def region_choices() -> RegionChoices:
    """Each prefecture of the province (itself first, for "somewhere in the city") with its
    counties, by name."""
    return [
        (
            region_name(prefecture.code),
            [(prefecture.code, _whole(region_name(prefecture.code)))]
            + [(county.code, region_name(county.code)) for county in current_counties(prefecture)],
        )
        for prefecture in current_prefectures(ZHEJIANG)
    ]


def _whole(city: Bilingual) -> Bilingual:
    return Bilingual(f"{city.zh}（全市）", f"{city.en}, anywhere in the city")

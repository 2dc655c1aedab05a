"""Exposure: was a person somewhere while it was a risk area (A6) or a severe area (A7)?

Trips are intervals [start, end); an open trip ends when the person's next trip begins (nobody is
in two places at once), or is still going on if it is the last one. An exposure is the overlap of
a trip with an area's rating. Only ratings and trips that have begun by the instant count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from healthcode.domain.areas import RiskArea, RiskLevel, SevereDesignation
from healthcode.domain.regions import normalise

T = TypeVar("T")

_COUNTED_LEVELS = (RiskLevel.HIGH, RiskLevel.MEDIUM)
_LEVEL_RANK = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


@dataclass(frozen=True, slots=True)
class Stay:
    """Where a person was, from `start` until `end` (None: still there)."""

    region: str
    start: datetime
    end: datetime | None
    venue_id: str | None = None


@dataclass(frozen=True, slots=True)
class RiskExposure:
    """The person's exposure to medium/high-risk areas; `last_end` is None while `ongoing`."""

    exposed: bool = False
    ongoing: bool = False
    last_end: datetime | None = None
    level: RiskLevel | None = None


@dataclass(frozen=True, slots=True)
class SevereExposure:
    """Exposure to severe designations; red until `red_until` (None while `ongoing`)."""

    exposed: bool = False
    ongoing: bool = False
    red_until: datetime | None = None
    designation_ids: tuple[str, ...] = ()


NO_RISK_EXPOSURE = RiskExposure()
NO_SEVERE_EXPOSURE = SevereExposure()


def _prefixes(region: str) -> Iterable[str]:
    """Every normalised code that could cover `region`: province, prefecture, county, …"""
    code = normalise(region)
    for length in (2, 4, 6, 9, 12):
        if length <= len(code):
            yield code[:length]


class _ByRegion(Generic[T]):
    """Items keyed by the normalised region that covers them, for prefix look-ups."""

    def __init__(self, pairs: Iterable[tuple[str, T]]) -> None:
        self._items: dict[str, list[T]] = defaultdict(list)
        for region, item in pairs:
            self._items[normalise(region)].append(item)

    def covering(self, region: str) -> Iterable[T]:
        for prefix in _prefixes(region):
            yield from self._items.get(prefix, ())


class AreaIndex:
    """Risk areas and severe designations, indexed once for the whole population."""

    def __init__(
        self, risk_areas: Iterable[RiskArea], designations: Iterable[SevereDesignation]
    ) -> None:
        self._risk = _ByRegion((a.region, a) for a in risk_areas if a.level in _COUNTED_LEVELS)
        designations = tuple(designations)
        self._severe = _ByRegion((d.region, d) for d in designations if d.region is not None)
        self._severe_venues: dict[str, list[SevereDesignation]] = defaultdict(list)
        for designation in designations:
            if designation.venue_id is not None:
                self._severe_venues[designation.venue_id].append(designation)

    def risk_exposure(self, stays: Sequence[Stay], at: datetime) -> RiskExposure:
        exposure = NO_RISK_EXPOSURE
        for stay in stays:
            for area in self._risk.covering(stay.region):
                if area.effective_from <= at:
                    overlap = _overlap(stay, area.effective_from, area.effective_to, at)
                    if overlap is not None:
                        exposure = _add_risk(exposure, overlap, area.level)
        return exposure

    def severe_exposure(self, stays: Sequence[Stay], at: datetime) -> SevereExposure:
        exposure = NO_SEVERE_EXPOSURE
        for stay in stays:
            for designation in self._designations_for(stay):
                if _in_force(designation, at):
                    exposure = _add_severe(exposure, stay, designation, at)
        return exposure

    def next_boundary(self, stays: Sequence[Stay], at: datetime) -> datetime | None:
        """The first start or end after `at` of a rating or designation that reaches a stay.

        Such a boundary is no new fact, yet it can change the person's code, so it is a time to
        look at them again.
        """
        reaching: list[RiskArea | SevereDesignation] = []
        for stay in stays:
            reaching += self._risk.covering(stay.region)
            reaching += self._designations_for(stay)
        boundaries = [
            instant
            for area in reaching
            for instant in (area.effective_from, area.effective_to)
            if instant is not None and instant > at
        ]
        return min(boundaries, default=None)

    def _designations_for(self, stay: Stay) -> Iterable[SevereDesignation]:
        yield from self._severe.covering(stay.region)
        if stay.venue_id is not None:
            yield from self._severe_venues.get(stay.venue_id, ())


def _overlap(
    stay: Stay, start: datetime, end: datetime | None, at: datetime
) -> tuple[datetime | None] | None:
    """The end of the overlap of a stay with [start, end) that began by `at`, or None if none.

    Returns a 1-tuple so that "overlaps and still going on" (end None) differs from "no overlap".
    """
    begins = max(stay.start, start)
    if begins > at:
        return None
    ends = _earliest(stay.end, end)
    if ends is not None and ends <= begins:
        return None
    return (ends,)


def _earliest(first: datetime | None, second: datetime | None) -> datetime | None:
    if first is None:
        return second
    if second is None:
        return first
    return min(first, second)


def _merged_end(
    exposed_before: bool, previous: datetime | None, new: datetime | None
) -> datetime | None:
    """The later of two exposure ends, where None means 'still going on' and so is the latest."""
    if not exposed_before:
        return new
    if previous is None or new is None:
        return None
    return max(previous, new)


def _add_risk(
    exposure: RiskExposure, overlap: tuple[datetime | None], level: RiskLevel
) -> RiskExposure:
    (ends,) = overlap
    last_end = _merged_end(exposure.exposed, exposure.last_end, ends)
    highest = level
    if exposure.level is not None and _LEVEL_RANK[exposure.level] > _LEVEL_RANK[level]:
        highest = exposure.level
    return RiskExposure(exposed=True, ongoing=last_end is None, last_end=last_end, level=highest)


def _in_force(designation: SevereDesignation, at: datetime) -> bool:
    if designation.effective_from > at:
        return False
    return designation.effective_to is None or designation.effective_to > at


def _add_severe(
    exposure: SevereExposure, stay: Stay, designation: SevereDesignation, at: datetime
) -> SevereExposure:
    lookback = timedelta(days=designation.lookback_days)
    overlap = _overlap(stay, designation.effective_from - lookback, designation.effective_to, at)
    if overlap is None:
        return exposure
    (left_at,) = overlap
    # Red until `lookback_days` after leaving, and never beyond the designation itself.
    red_until = _earliest(None if left_at is None else left_at + lookback, designation.effective_to)
    ids = exposure.designation_ids
    if designation.designation_id not in ids:
        ids = (*ids, designation.designation_id)
    red_until = _merged_end(exposure.exposed, exposure.red_until, red_until)
    return SevereExposure(
        exposed=True, ongoing=red_until is None, red_until=red_until, designation_ids=ids
    )

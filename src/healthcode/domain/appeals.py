"""Appeals through the 12345 hotline (S6): one door, local handling, tiered responsibility.

The notice asks for 一门受理、属地为主、分级负责、统一反馈. Here that becomes: every appeal, from
a call or from the code page, is one record of the same shape; it is routed to the unit of the
region responsible (`responsible_region`); each tier has a time limit per category (data, from
`rulesets/appeals.yaml`), and an appeal not handled in time moves up one tier (`next_tier`).
Nothing here reads the clock: instants are passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from healthcode.domain.documents import RulesetError
from healthcode.domain.facts import Designation, Payload, Retraction
from healthcode.domain.regions import normalise, region_problem

ZHEJIANG: Final = "33"


class AppealCategory(StrEnum):
    WRONG_COLOUR = "wrong_colour"
    MISSING_TEST_RESULT = "missing_test_result"
    WRONG_TRIP = "wrong_trip"
    CANNOT_APPLY = "cannot_apply"
    PROXY_PROBLEM = "proxy_problem"
    # S6's last sentence: misuse of the code that caused harm is recorded, handled and reported.
    MISUSE = "misuse"
    OTHER = "other"


class AppealChannel(StrEnum):
    HOTLINE = "hotline"  # 12345: the answer goes to the callback phone
    WEB = "web"  # the code page: the answer is shown there and texted to the account's phone


class AppealStatus(StrEnum):
    """Where an appeal stands. A merged filing keeps `open` and points to its primary, which
    carries the work; it takes the primary's status when the primary is closed."""

    OPEN = "open"
    ANSWERED = "answered"
    REJECTED = "rejected"


class Tier(StrEnum):
    """分级负责: the level of the unit that handles an appeal now."""

    COUNTY = "county"
    CITY = "city"
    PROVINCE = "province"


class AppealEventKind(StrEnum):
    """The steps of an appeal's timeline, each recorded with who took it and when."""

    FILED = "filed"
    MERGED = "merged"  # a repeat filing joined this appeal
    ROUTED = "routed"
    ESCALATED = "escalated"
    FACT_ADDED = "fact_added"
    FACT_RETRACTED = "fact_retracted"
    REJECTED = "rejected"
    OVERRIDE_REQUESTED = "override_requested"
    OVERRIDE_APPROVED = "override_approved"
    ANSWERED = "answered"
    FEEDBACK_SENT = "feedback_sent"


class Language(StrEnum):
    ZH = "zh"
    EN = "en"


# How many leading digits of a (normalised) GB/T 2260 code name the unit of each tier.
_DIGITS: Final = {Tier.COUNTY: 6, Tier.CITY: 4, Tier.PROVINCE: 2}
_ORDER: Final = (Tier.COUNTY, Tier.CITY, Tier.PROVINCE)


@dataclass(frozen=True, slots=True)
class Route:
    """The unit an appeal is handled by: a normalised code (`330106`, `3301`, `33`) and its tier."""

    region: str
    tier: Tier


@dataclass(frozen=True, slots=True)
class AppealFact:
    """A fact a handler adds to correct the record: the appeal becomes its source."""

    payload: Payload
    occurred_at: datetime


def tier_of(region: str) -> Tier:
    """The tier of a unit's code: `330106` county, `3301` city, `33` province."""
    length = len(normalise(region))
    if length >= _DIGITS[Tier.COUNTY]:
        return Tier.COUNTY
    return Tier.CITY if length == _DIGITS[Tier.CITY] else Tier.PROVINCE


def unit_at(region: str, tier: Tier) -> Route:
    """The unit of `tier` that `region` lies in: (`330106`, city) → `3301`."""
    return Route(normalise(region)[: _DIGITS[tier]], tier)


def responsible_region(
    person_home_region: str | None, disputed_region: str | None, province: str = ZHEJIANG
) -> Route:
    """属地为主: who handles an appeal first.

    The county of the disputed fact (a trip, a test site) when there is one inside the province,
    since its records and its people are there; otherwise the person's county of registration;
    a person from outside the province with nothing disputed here goes to the province.
    A disputed region known only to the city (or province) goes to that level.
    """
    for region in (disputed_region, person_home_region):
        if region is None or _unusable(region):
            continue
        code = normalise(region)
        if code.startswith(province):
            return unit_at(code, tier_of(code))
    return Route(province, Tier.PROVINCE)


def _unusable(region: str) -> bool:
    # A bare city or province code (4 or 2 digits) is accepted as written; a full code is checked.
    if len(region) in (2, 4):
        return not region.isdigit()
    return region_problem(region) is not None


def next_tier(tier: Tier) -> Tier | None:
    """County → city → province; the province is the last (None above it)."""
    index = _ORDER.index(tier)
    return _ORDER[index + 1] if index + 1 < len(_ORDER) else None


def escalated(route: Route) -> Route | None:
    """The unit one tier up from `route`, or None at the province."""
    higher = next_tier(route.tier)
    return None if higher is None else unit_at(route.region, higher)


@dataclass(frozen=True, slots=True)
class TimeLimits:
    """How long each tier has to handle an appeal of each category, and how long an override
    (a designation decided on an appeal) may last before the facts must carry the code again."""

    limits: Mapping[tuple[AppealCategory, Tier], timedelta]
    override_max: timedelta

    def limit(self, category: AppealCategory, tier: Tier) -> timedelta:
        return self.limits[(category, tier)]


def due_at(limits: TimeLimits, category: AppealCategory, tier: Tier, since: datetime) -> datetime:
    """When the unit of `tier`, responsible from `since`, must have handled the appeal."""
    return since + limits.limit(category, tier)


def is_overdue(due: datetime, now: datetime) -> bool:
    return now > due


def parse_time_limits(document: Mapping[str, Any]) -> TimeLimits:
    """Read the limits document: `limits: {category: {county: hours, city: …, province: …}}`
    for every category, and `override_max_days`. Problems raise RulesetError with the place."""
    table = document.get("limits")
    if not isinstance(table, Mapping):
        raise RulesetError("limits", "must be a mapping of categories")
    limits: dict[tuple[AppealCategory, Tier], timedelta] = {}
    for category in AppealCategory:
        row = table.get(category.value)
        if not isinstance(row, Mapping):
            raise RulesetError(f"limits.{category.value}", "must give hours for each tier")
        for tier in Tier:
            where = f"limits.{category.value}.{tier.value}"
            limits[(category, tier)] = timedelta(hours=_positive(row.get(tier.value), where))
    unknown = set(table) - {category.value for category in AppealCategory}
    if unknown:
        raise RulesetError("limits", f"unknown category {sorted(unknown)[0]}")
    days = _positive(document.get("override_max_days"), "override_max_days")
    return TimeLimits(limits, timedelta(days=days))


def _positive(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise RulesetError(where, "must be a positive number")
    return float(value)


@dataclass(frozen=True, slots=True)
class OpenAppeal:
    """What duplicate detection needs to know of an appeal on file."""

    id: int
    person_id: str
    category: AppealCategory
    status: AppealStatus
    merged_into: int | None


def primary_for(
    on_file: list[OpenAppeal], person_id: str, category: AppealCategory
) -> OpenAppeal | None:
    """The open appeal a new filing of this person and category is merged into, if any: the
    person calls again about the same problem, and one unit should answer it once."""
    candidates = [
        appeal
        for appeal in on_file
        if appeal.person_id == person_id
        and appeal.category is category
        and appeal.status is AppealStatus.OPEN
        and appeal.merged_into is None
    ]
    return min(candidates, key=lambda appeal: appeal.id, default=None)


TEXT_LIMIT: Final = 2000


def text_problem(text: str) -> str | None:
    if not text.strip():
        return "must not be empty"
    if len(text) > TEXT_LIMIT:
        return f"must be at most {TEXT_LIMIT} characters"
    return None


def addition_problem(fact: AppealFact, now: datetime) -> str | None:
    """Why a handler may not add this fact to correct a record, or None.

    A colour is never set by hand: a designation goes through the override procedure (a second
    approver, an authority, an expiry), and a withdrawal through `retract_fact`. A fact dated in
    the future is not a correction of what happened.
    """
    if isinstance(fact.payload, Designation):
        return "a designation is an override: it needs a second approver"
    if isinstance(fact.payload, Retraction):
        return "withdrawing a fact is a retraction, with its reason"
    if fact.occurred_at > now:
        return "a correction records what has happened, not what will"
    return None

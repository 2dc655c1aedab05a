"""Appeals in the pure core (S6): routing, tiers, time limits, duplicates, what handlers add."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from builders import march
from healthcode.domain.appeals import (
    AppealCategory,
    AppealFact,
    AppealStatus,
    OpenAppeal,
    Route,
    Tier,
    addition_problem,
    due_at,
    escalated,
    next_tier,
    parse_time_limits,
    primary_for,
    responsible_region,
    text_problem,
    tier_of,
)
from healthcode.domain.documents import RulesetError
from healthcode.domain.facts import (
    Action,
    DesignatedColour,
    Designation,
    Retraction,
    Test,
    TestKind,
    TestResult,
)
from healthcode.rulesets import default_appeal_limits


@pytest.mark.parametrize(
    ("home", "disputed", "expected"),
    [
        ("330106", None, Route("330106", Tier.COUNTY)),  # the person's county
        ("330106", "330782001", Route("330782", Tier.COUNTY)),  # the disputed fact's county
        ("330106", "3301", Route("3301", Tier.CITY)),  # a fact known only to the city
        ("330106", "320102", Route("330106", Tier.COUNTY)),  # disputed outside: home county
        ("320102", "330102", Route("330102", Tier.COUNTY)),  # an outsider, a fact here
        ("320102", None, Route("33", Tier.PROVINCE)),  # an outsider, nothing here
        (None, None, Route("33", Tier.PROVINCE)),  # a passport holder without a county
        ("330106", "not-a-code", Route("330106", Tier.COUNTY)),
    ],
)
def test_responsible_region_is_the_locality__S6(
    home: str | None, disputed: str | None, expected: Route
) -> None:
    assert responsible_region(home, disputed) == expected


def test_tiers_go_county_city_province__S6() -> None:
    assert [tier_of(code) for code in ("330106", "330100", "3301", "33")] == [
        Tier.COUNTY,
        Tier.CITY,
        Tier.CITY,
        Tier.PROVINCE,
    ]
    assert (next_tier(Tier.COUNTY), next_tier(Tier.CITY), next_tier(Tier.PROVINCE)) == (
        Tier.CITY,
        Tier.PROVINCE,
        None,
    )
    county = Route("330106", Tier.COUNTY)
    city = escalated(county)
    assert city == Route("3301", Tier.CITY)
    assert city is not None
    assert escalated(city) == Route("33", Tier.PROVINCE)
    assert escalated(Route("33", Tier.PROVINCE)) is None


def test_bundled_time_limits__S6() -> None:
    limits = default_appeal_limits()
    start = march(20)
    assert [due_at(limits, AppealCategory.WRONG_COLOUR, tier, start) for tier in Tier] == [
        march(21),
        march(21, 0),
        march(21, 0),
    ]
    assert limits.override_max == timedelta(days=14)


def _document(**changes: Any) -> dict[str, Any]:
    row = {"county": 24, "city": 12, "province": 12}
    document: dict[str, Any] = {
        "limits": {category.value: dict(row) for category in AppealCategory},
        "override_max_days": 14,
    }
    document.update(changes)
    return document


@pytest.mark.parametrize(
    ("document", "where"),
    [
        (_document(limits=None), "limits"),
        (_document(override_max_days=0), "override_max_days"),
        (
            _document(limits={c.value: {"county": 24} for c in AppealCategory}),
            "limits.wrong_colour.city",
        ),
        (
            _document(
                limits={c.value: {"county": 1, "city": 1, "province": 1} for c in AppealCategory}
                | {"lost": {}}
            ),
            "limits",
        ),
    ],
)
def test_time_limits_document_problems_are_located__S6(
    document: dict[str, Any], where: str
) -> None:
    with pytest.raises(RulesetError) as raised:
        parse_time_limits(document)
    assert raised.value.where == where


def test_an_open_appeal_of_the_same_person_and_category_is_the_primary__S6() -> None:
    on_file = [
        OpenAppeal(1, "p1", AppealCategory.WRONG_COLOUR, AppealStatus.ANSWERED, None),
        OpenAppeal(2, "p1", AppealCategory.WRONG_COLOUR, AppealStatus.OPEN, None),
        OpenAppeal(3, "p1", AppealCategory.WRONG_COLOUR, AppealStatus.OPEN, 2),
        OpenAppeal(4, "p1", AppealCategory.WRONG_TRIP, AppealStatus.OPEN, None),
        OpenAppeal(5, "p2", AppealCategory.WRONG_COLOUR, AppealStatus.OPEN, None),
    ]
    found = primary_for(on_file, "p1", AppealCategory.WRONG_COLOUR)
    assert found is not None
    assert found.id == 2
    assert primary_for(on_file, "p1", AppealCategory.OTHER) is None


def test_a_handler_adds_facts_never_colours__S6() -> None:
    negative = Test(TestKind.NUCLEIC_ACID, TestResult.NEGATIVE, march(20, 8))
    green = Designation(Action.START, DesignatedColour.GREEN, "申诉", "西湖区")
    assert addition_problem(AppealFact(negative, march(20, 11)), march(20)) is None
    assert addition_problem(AppealFact(negative, march(21)), march(20)) is not None
    assert addition_problem(AppealFact(green, march(20)), march(20)) is not None
    assert addition_problem(AppealFact(Retraction("e-1", None), march(20)), march(20)) is not None


def test_appeal_text_is_required_and_bounded__S6() -> None:
    assert text_problem("核酸结果没有显示") is None
    assert text_problem("   ") is not None
    assert text_problem("字" * 2001) is not None

"""Venue policy: who may enter which kind of place (M3, M5, S2), with red barred everywhere (M1)."""

from __future__ import annotations

import pytest

from healthcode.domain.areas import RiskLevel
from healthcode.domain.documents import RulesetError
from healthcode.domain.rules import Colour
from healthcode.domain.venues import Purpose, Venue, Verdict, parse_venue_policy
from healthcode.rulesets import default_venue_policy

M3_BARRED = [
    "public_transport", "gathering", "station", "long_distance_bus_station", "airport", "port",
    "ferry_dock", "wholesale_market", "farmers_market", "mall", "supermarket", "library", "museum",
    "art_gallery", "exhibition_hall", "gymnasium", "cinema_theatre", "dance_hall", "internet_cafe",
    "bathhouse", "school", "elderly_home", "welfare_home", "prison", "medical_institution",
]  # fmt: skip
SPECIAL_INSTITUTIONS = ["school", "elderly_home", "welfare_home", "prison"]
CHECKED_IN_LOW_RISK = [
    "long_distance_bus_station", "port", "border_port", "medical_institution",
    "elderly_home", "welfare_home", "prison",
]  # fmt: skip


def check(
    colour: str,
    venue: str,
    area: str = "medium",
    flags: frozenset[str] = frozenset(),
    purpose: Purpose | None = None,
) -> tuple[str, tuple[str, ...]]:
    decision = default_venue_policy().check(
        Colour(colour), Venue(venue), RiskLevel(area), flags, purpose
    )
    return decision.verdict.value, decision.clauses


@pytest.mark.parametrize("venue", M3_BARRED)
def test_yellow_barred_from_the_listed_places__M3(venue: str) -> None:
    assert check("yellow", venue) == ("deny", ("M3",))


@pytest.mark.parametrize("venue", sorted(set(Venue) - set(M3_BARRED)))
def test_yellow_may_go_elsewhere_with_protection__M3(venue: str) -> None:
    assert check("yellow", venue) == ("allow", ("M3",))


def test_yellow_enters_medical_institutions_only_for_own_treatment__M3() -> None:
    assert check("yellow", "medical_institution", purpose=Purpose.OWN_TREATMENT) == (
        "allow",
        ("M3",),
    )


@pytest.mark.parametrize("venue", list(Venue))
@pytest.mark.parametrize("area", ["medium", "high"])
def test_red_barred_everywhere_codes_are_checked__M1(venue: str, area: str) -> None:
    assert check("red", venue, area) == ("deny", ("M1",))


@pytest.mark.parametrize("venue", list(Venue))
def test_green_has_free_access__M5(venue: str) -> None:
    assert check("green", venue, "high") == ("allow", ("M5",))


@pytest.mark.parametrize("venue", list(Venue))
def test_health_monitoring_barred_only_from_special_institutions__M5(venue: str) -> None:
    verdict, _ = check("green", venue, flags=frozenset({"health_monitoring"}))
    assert verdict == ("deny" if venue in SPECIAL_INSTITUTIONS else "allow")


@pytest.mark.parametrize("venue", list(Venue))
@pytest.mark.parametrize("colour", ["green", "yellow", "red"])
def test_low_risk_areas_check_codes_only_at_listed_places__S2(venue: str, colour: str) -> None:
    verdict, clauses = check(colour, venue, "low")
    if venue in CHECKED_IN_LOW_RISK:
        assert verdict != Verdict.NOT_CHECKED
    else:
        # Not checked, but a red code scanned anyway still reads red, with what to do (M1).
        expected = ("S2", "M1") if colour == "red" else ("S2",)
        assert (verdict, clauses) == ("not_checked", expected)


def test_decision_json_has_the_spec_shape__S2() -> None:
    decision = default_venue_policy().check(Colour.YELLOW, Venue.MALL, RiskLevel.MEDIUM)
    shown = decision.as_json()
    assert set(shown) == {"decision", "clauses", "reason"}
    assert shown["reason"] == {"zh": decision.reason.zh, "en": decision.reason.en}


def test_policy_without_an_entry_for_a_colour_denies__M3() -> None:
    policy = parse_venue_policy(
        {
            "id": "p",
            "version": "1.0.0",
            "checked_in_low_risk_areas": {"clause": "S2", "venues": [], "reason": _REASON},
            "deny": [],
            "allow": [{"id": "g", "clause": "M5", "colors": ["green"], "reason": _REASON}],
        }
    )
    assert policy.check(Colour.YELLOW, Venue.PARK, RiskLevel.HIGH).verdict == "deny"


_REASON = {"zh": "理由", "en": "reason"}


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"version": "1", "checked_in_low_risk_areas": {}}, "policy.id"),
        ({"id": "p", "version": "1"}, "checked_in_low_risk_areas"),
        (
            {
                "id": "p",
                "version": "1",
                "checked_in_low_risk_areas": {
                    "clause": "S2",
                    "venues": ["moon"],
                    "reason": _REASON,
                },
            },
            "checked_in_low_risk_areas.venues",
        ),
    ],
)
def test_bad_policy_documents_are_located__M3(document: dict[str, object], where: str) -> None:
    with pytest.raises(RulesetError) as raised:
        parse_venue_policy(document)
    assert raised.value.where == where


def test_a_red_code_scanned_where_codes_are_not_checked_still_reads_red__S2_M1() -> None:
    policy = default_venue_policy()
    red = policy.check(Colour.RED, Venue.PARK, RiskLevel.LOW)
    assert (red.verdict, red.clauses) == (Verdict.NOT_CHECKED, ("S2", "M1"))
    for said in ("红码", "点对点", "12345"):
        assert said in red.reason.zh
    for said in ("RED", "point-to-point"):
        assert said in red.reason.en
    assert (
        policy.check(Colour.GREEN, Venue.PARK, RiskLevel.LOW).reason == policy.not_checked().reason
    )
    assert not policy.checks_codes(Venue.PARK, RiskLevel.LOW)
    assert policy.checks_codes(Venue.PARK, RiskLevel.MEDIUM)
    assert policy.checks_codes(Venue.PRISON, RiskLevel.LOW)

"""The default ruleset decides colours as the notice says (A2–A7, M1, M2, M4, M5)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from builders import (
    designation,
    diagnosis,
    fever_clinic,
    health_monitoring,
    home_observation,
    isolation,
    march,
    nucleic_acid,
    risk_area,
    severe,
    symptoms,
    trip,
)
from healthcode.domain.areas import RiskArea, SevereDesignation
from healthcode.domain.decisions import Decision, decide
from healthcode.domain.exposure import AreaIndex
from healthcode.domain.facts import Fact
from healthcode.domain.features import derive_features
from healthcode.rulesets import default_ruleset

AT = march(20)
WUCHANG = "420106"  # 武汉市武昌区


def decide_at(
    facts: Sequence[Fact],
    at: datetime = AT,
    areas: Sequence[RiskArea] = (),
    designations: Sequence[SevereDesignation] = (),
) -> Decision:
    index = AreaIndex(areas, designations)
    return decide(derive_features(facts, index, at), default_ruleset(), at)


def summary(decision: Decision) -> tuple[str, tuple[str, ...], str | None]:
    return decision.colour.value, decision.rules, decision.measure


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ([diagnosis("confirmed", march(10))], ("red", ("red-confirmed",), "hospital_treatment")),
        ([diagnosis("suspected", march(10))], ("red", ("red-suspected",), "hospital_treatment")),
        (
            [diagnosis("asymptomatic", march(10))],
            ("red", ("red-asymptomatic",), "hospital_isolation"),
        ),
        (
            [isolation("start", march(10))],
            ("red", ("red-isolation-centralized",), "centralized_isolation"),
        ),
        (
            [isolation("start", march(10), setting="home", reason="inbound")],
            ("red", ("red-isolation-home",), "home_isolation"),
        ),
        (
            [fever_clinic("start", march(19))],
            ("red", ("red-fever-clinic",), "centralized_isolation"),
        ),
        ([designation("start", march(15))], ("red", ("red-designated",), "centralized_isolation")),
    ],
)
def test_red_for_cases_isolation_fever_and_designation__A2(
    facts: list[Fact], expected: tuple[object, ...]
) -> None:
    decision = decide_at(facts)
    assert summary(decision) == expected
    assert decision.clauses == ("A2", "M1")


def test_positive_test_counts_as_infection_until_a_diagnosis_says_otherwise__A2() -> None:
    positive = nucleic_acid("positive", march(12))
    assert summary(decide_at([positive])) == ("red", ("red-positive-test",), "hospital_isolation")
    # A negative test later does not clear it: only the health authority's diagnosis does.
    assert decide_at([positive, nucleic_acid("negative", march(14))]).colour == "red"
    assert decide_at([positive, diagnosis("excluded", march(15))]).colour == "green"
    assert decide_at([positive, diagnosis("confirmed", march(15))]).rules == ("red-confirmed",)


def test_suspicion_ends_when_excluded__A2() -> None:
    assert (
        decide_at([diagnosis("suspected", march(10)), diagnosis("excluded", march(12))]).colour
        == "green"
    )


@pytest.mark.parametrize(
    ("facts", "rule"),
    [
        ([symptoms("report", march(19))], "yellow-symptoms"),
        ([home_observation("start", march(15))], "yellow-home-observation"),
        ([designation("start", march(15), color="yellow")], "yellow-designated"),
    ],
)
def test_yellow_for_symptoms_home_observation_and_designation__A3(
    facts: list[Fact], rule: str
) -> None:
    decision = decide_at(facts)
    assert summary(decision) == ("yellow", (rule,), None)
    assert decision.clauses == ("A3",)


def test_green_when_neither_red_nor_yellow__A4() -> None:
    decision = decide_at([])
    assert (decision.colour, decision.rules, decision.clauses) == ("green", (), ("A4",))
    assert decision.next_review_at is None


def test_red_dominates_yellow__A2_A3() -> None:
    decision = decide_at([symptoms("report", march(18)), isolation("start", march(19))])
    assert decision.colour == "red"
    assert decision.rules == ("red-isolation-centralized", "yellow-symptoms")
    assert decision.clauses == ("A2", "A3", "M1")


def test_measure_of_the_most_serious_red_rule__M1() -> None:
    facts = [isolation("start", march(10)), diagnosis("confirmed", march(12))]
    assert decide_at(facts).measure == "hospital_treatment"


def test_discharged_patient_in_recovery_isolation__M1() -> None:
    facts = [
        diagnosis("confirmed", march(1)),
        diagnosis("discharged", march(15)),
        isolation("start", march(15), setting="home", reason="recovery"),
    ]
    assert summary(decide_at(facts)) == ("red", ("red-isolation-home",), "home_isolation")


def test_red_ends_with_isolation_to_green_or_yellow__M2() -> None:
    ended = [isolation("start", march(1)), isolation("end", march(15))]
    assert decide_at(ended).colour == "green"
    then_observed = [*ended, home_observation("start", march(15, 1))]
    assert summary(decide_at(then_observed)) == ("yellow", ("yellow-home-observation",), None)
    observed_until = [*then_observed, home_observation("end", march(19))]
    assert decide_at(observed_until).colour == "green"


def test_symptoms_turn_green_on_negative_test_sampled_after_report__M4() -> None:
    report = symptoms("report", march(17))
    before = nucleic_acid("negative", march(16), known=march(18))
    after = nucleic_acid("negative", march(18), known=march(19))
    assert decide_at([report, before]).colour == "yellow"
    assert decide_at([report, after]).colour == "green"
    assert decide_at([report, symptoms("resolved", march(19))]).colour == "green"
    # A new report after the negative test needs a new test.
    assert decide_at([report, after, symptoms("report", march(19, 18))]).colour == "yellow"


def test_symptoms_with_epidemiological_history_stay_red__M4() -> None:
    facts = [
        trip(WUCHANG, march(10), until=march(15)),
        symptoms("report", march(17)),
        nucleic_acid("negative", march(18)),
    ]
    decision = decide_at(facts, areas=[risk_area(WUCHANG, "high", march(1))])
    assert decision.colour == "red"
    assert decision.rules == ("red-risk-area",)


def test_health_monitoring_is_a_flag_on_green__M5() -> None:
    decision = decide_at([health_monitoring("start", march(15))])
    assert (decision.colour, decision.flags, decision.clauses) == (
        "green",
        ("health_monitoring",),
        ("A4", "M5"),
    )
    assert (
        decide_at(
            [health_monitoring("start", march(15)), health_monitoring("end", march(18))]
        ).flags
        == ()
    )


def test_risk_area_stay_counts_for_fourteen_days_after_leaving__A6() -> None:
    facts = [trip(WUCHANG, march(10), until=march(12))]
    areas = [risk_area(WUCHANG, "high", march(1))]
    decision = decide_at(facts, areas=areas)
    assert summary(decision) == ("red", ("red-risk-area",), "centralized_isolation")
    assert decision.clauses == ("A6", "M1")
    assert decision.next_review_at == march(26)
    assert decide_at(facts, at=march(26), areas=areas).colour == "green"
    assert decide_at(facts, at=march(26) - timedelta(milliseconds=1), areas=areas).colour == "red"


@pytest.mark.parametrize(
    ("area", "expected"),
    [
        (risk_area("420100", "medium", march(1)), "red"),  # a city covers its districts
        (risk_area("42", "high", march(1)), "red"),  # a province too
        (risk_area("420102", "high", march(1)), "green"),  # a neighbouring district does not
        (risk_area(WUCHANG, "low", march(1)), "green"),
        (risk_area(WUCHANG, "high", march(13)), "green"),  # rated after the person left
        (risk_area(WUCHANG, "high", march(1), march(10, 12)), "green"),  # lifted before arrival
        (risk_area(WUCHANG, "high", march(1), march(11)), "red"),  # lifted during the stay
    ],
)
def test_risk_area_matching_by_prefix_and_period__A6(area: RiskArea, expected: str) -> None:
    facts = [trip("420106001", march(10, 13), until=march(12))]
    assert decide_at(facts, areas=[area]).colour == expected


def test_trip_without_until_is_still_going_on__A6() -> None:
    areas = [risk_area(WUCHANG, "high", march(1))]
    decision = decide_at([trip(WUCHANG, march(10))], areas=areas)
    assert (decision.colour, decision.next_review_at) == ("red", None)


def test_open_trip_ends_where_the_next_trip_begins__A6() -> None:
    facts = [trip(WUCHANG, march(1)), trip("330106", march(3))]
    areas = [risk_area(WUCHANG, "high", march(1))]
    decision = decide_at(facts, at=march(10), areas=areas)
    assert (decision.colour, decision.next_review_at) == ("red", march(17))


def test_severe_designation_counts_stays_within_its_lookback__A7() -> None:
    designated = severe("330106", start=march(15), lookback_days=14)
    before = [trip("330106002", march(5), until=march(8))]
    decision = decide_at(before, areas=(), designations=[designated])
    assert summary(decision) == ("red", ("red-severe-area",), "centralized_isolation")
    assert decision.clauses == ("A7", "M1")
    assert decision.next_review_at == march(22)
    too_early = [trip("330106002", march(1, 0), until=march(1, 1))]
    assert decide_at(too_early, designations=[designated]).colour == "green"


def test_severe_designation_only_while_in_force__A7() -> None:
    stay = [trip("330106", march(16), until=march(17))]
    future = severe("330106", start=march(21))
    ended = severe("330106", start=march(10), end=march(19))
    assert decide_at(stay, designations=[future]).colour == "green"
    assert decide_at(stay, designations=[ended]).colour == "green"
    capped = severe("330106", start=march(10), end=march(25))
    assert decide_at(stay, designations=[capped]).next_review_at == march(25)


def test_severe_designation_of_a_place__A7() -> None:
    place = severe(None, start=march(15), venue_id="V-330106-0001")
    stay = [trip("330106", march(16), until=march(16, 14), venue_id="V-330106-0001")]
    elsewhere = [trip("330106", march(16), until=march(16, 14), venue_id="V-330106-0002")]
    assert decide_at(stay, designations=[place]).colour == "red"
    assert decide_at(elsewhere, designations=[place]).colour == "green"


def test_facts_after_the_instant_do_not_count__A5() -> None:
    later = [isolation("start", march(21))]
    assert decide_at(later).colour == "green"
    assert decide_at(later, at=march(21)).colour == "red"


def test_next_review_is_when_the_decision_changes_not_every_boundary__A5() -> None:
    # Red from isolation with no end in sight: the risk-area look-back ending changes the
    # explanation, so it is reviewed then; after that nothing changes without a new fact.
    areas = [risk_area(WUCHANG, "high", march(1))]
    facts = [trip(WUCHANG, march(10), until=march(12)), isolation("start", march(12))]
    decision = decide_at(facts, areas=areas)
    assert decision.next_review_at == march(26)
    assert decide_at(facts, at=march(26), areas=areas).next_review_at is None

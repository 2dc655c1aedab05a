"""The CertLogic compiler of the columnar path (issue #12): every operator the rulesets may use
decides as the evaluator does, errors raise where the evaluator raises, and what has no columnar
form is refused with its place (A5)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings

from builders import diagnosis, entry, isolation, march, symptoms
from columnar_check import both_paths, columnar_only
from healthcode.certlogic import CertLogicError
from healthcode.domain.areas import RiskArea, SevereDesignation
from healthcode.domain.columnar.rulesets import compile_ruleset
from healthcode.domain.documents import RulesetError
from healthcode.domain.facts import Fact
from healthcode.domain.rules import parse_ruleset
from strategies import instants, populations, risk_areas, severe_designations

NOW = {"plusTime": [{"var": "now"}, 0, "day"]}
TEXTS = {"reason": {"zh": "测", "en": "test"}, "to_green": {"zh": "测", "en": "test"}}


def rule(rule_id: str, condition: object, **outcome: object) -> dict[str, Any]:
    return {"id": rule_id, "clause": "A5", "condition": condition, **TEXTS, **outcome}


def since(path: str, amount: int, unit: str) -> dict[str, Any]:
    return {"plusTime": [{"var": path}, amount, unit]}


# One rule per construct the compiler supports, guarded so that the evaluator never raises.
RULES = [
    rule(
        "red-entry-36-hours",
        {
            "and": [
                {"var": "entry.last_at"},
                {"not-after": [NOW, since("entry.last_at", 36, "hour")]},
            ]
        },
        color="red",
        measure="home_isolation",
    ),
    rule(
        "red-recovery",
        {"and": [{"var": "isolation.active"}, {"===": [{"var": "isolation.reason"}, "recovery"]}]},
        color="red",
        measure="hospital_isolation",
    ),
    rule(
        "yellow-fever",
        {"and": [{"var": "symptoms.open"}, {"in": ["fever", {"var": "symptoms.symptoms"}]}]},
        color="yellow",
    ),
    rule(
        "yellow-level",
        {
            "and": [
                {"in": [{"var": "risk_area.level"}, ["high", 1, True]]},
                {"!": [{"var": "risk_area.ongoing"}]},
            ]
        },
        color="yellow",
    ),
    rule(
        "yellow-observed-window",
        {
            "if": [
                {"var": "home_observation.since"},
                {
                    "not-before": [
                        since("home_observation.since", 2, "day"),
                        NOW,
                        {"plusTime": ["2021-03-15T00:00:00+08:00", 0, "day"]},
                    ]
                },
                False,
            ]
        },
        color="yellow",
    ),
    rule("flag-doses", {"<": [0, {"+": [{"var": "vaccination.doses"}, 1]}, 3]}, flag="doses"),
    rule(
        "flag-listed",
        {"if": [{"var": "severe_area.exposed"}, {"var": "severe_area.designations"}, 0]},
        flag="listed",
    ),
    rule(
        "flag-reason",
        {"and": [{"var": "designation.reason"}, {"var": "designation.yellow"}]},
        flag="reason",
    ),
    rule(
        "flag-unknown",
        {"===": [{"var": "no.such.feature"}, {"var": "diagnosis.status"}]},
        flag="unknown",
    ),
    rule(
        "flag-same-instant",
        {"===": [{"var": "isolation.since"}, {"var": "home_observation.since"}]},
        flag="same",
    ),
]
RULES.append(
    rule(
        "flag-diagnosed-then",
        {"===": [{"var": "diagnosis.at"}, "2021-03-10T04:00:00.000Z"]},
        flag="diagnosed_then",
    )
)
OVERRIDES = [
    rule(
        "override-green-vaccinated",
        {"and": [{"var": "designation.green"}, {">=": [{"var": "vaccination.doses"}, 2]}]},
        color="green",
    )
]
DOCUMENT: dict[str, Any] = {
    "id": "compiler-test",
    "version": "1.0.0",
    "valid_from": "2021-03-01T00:00:00+08:00",
    "description": {"zh": "测试", "en": "test"},
    "rules": RULES,
    "overrides": OVERRIDES,
}
RULESET = parse_ruleset(DOCUMENT)


@settings(max_examples=60, deadline=None)
@given(populations(), risk_areas(), severe_designations(), instants)
def test_every_compiled_operator_decides_as_the_evaluator__A5(
    facts: list[Fact], areas: list[RiskArea], designations: list[SevereDesignation], at: datetime
) -> None:
    both_paths(facts, at, areas, designations, RULESET)


def test_a_non_strict_comparison_is_reviewed_a_millisecond_later__A5() -> None:
    (decision,) = both_paths([entry(march(18))], march(19, 20), ruleset=RULESET)
    assert decision.rules[0] == "red-entry-36-hours"
    assert decision.next_review_at == march(20, 0) + timedelta(milliseconds=1)


def test_an_instant_equals_a_string_only_in_its_iso_form__A5() -> None:
    (then,) = both_paths([diagnosis("excluded", march(10))], march(20), ruleset=RULESET)
    (later,) = both_paths([diagnosis("excluded", march(10, 13))], march(20), ruleset=RULESET)
    assert "flag-diagnosed-then" in then.rules
    assert "flag-diagnosed-then" not in later.rules


def test_an_evaluation_error_is_raised_by_both_paths__A5() -> None:
    document = copy.deepcopy(DOCUMENT)
    # Unguarded: a person who never reported symptoms has no instant to add a day to.
    document["rules"].append(
        rule(
            "yellow-unguarded",
            {"before": [NOW, since("symptoms.reported_at", 1, "day")]},
            color="yellow",
        )
    )
    ruleset = parse_ruleset(document)
    reported = [symptoms("report", march(18))]
    assert "yellow-fever" in both_paths(reported, march(20), ruleset=ruleset)[0].rules
    unreported = [isolation("start", march(18))]
    with pytest.raises(CertLogicError):
        both_paths(unreported, march(20), ruleset=ruleset)  # the per-person path raises
    with pytest.raises(CertLogicError, match="yellow-unguarded"):
        columnar_only(unreported, march(20), ruleset)


@pytest.mark.parametrize(
    ("condition", "where", "reason"),
    [
        (
            {"reduce": [[1], {"var": "accumulator"}, 0]},
            r"rules\[11\] \(refused\)\.condition\.reduce",
            "reduce",
        ),
        ({"var": "diagnosis"}, r"condition\.var", "one feature column"),
        (
            {"and": [True, {"before": [NOW, since("diagnosis.at", 1, "month")]}]},
            r"condition\.and\[1\]\.before\[1\]\.plusTime",
            "months",
        ),
        ({"===": [{"var": "symptoms.symptoms"}, ["fever"]]}, r"condition\.===", "array"),
    ],
)
def test_what_has_no_columnar_form_is_refused_with_its_place__A5(
    condition: object, where: str, reason: str
) -> None:
    document = copy.deepcopy(DOCUMENT)
    document["rules"].append(rule("refused", condition, flag="refused"))
    ruleset = parse_ruleset(document)  # a valid ruleset for the per-person path
    with pytest.raises(RulesetError, match=where) as refused:
        compile_ruleset(ruleset)
    assert reason in str(refused.value)

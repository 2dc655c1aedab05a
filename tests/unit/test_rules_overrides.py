"""Overrides in a ruleset: data, checked like rules, deciding the colour before them (A5, S6)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from builders import diagnosis, march
from healthcode.domain.decisions import decide
from healthcode.domain.documents import RulesetError
from healthcode.domain.exposure import AreaIndex
from healthcode.domain.features import derive_features
from healthcode.domain.rules import Colour, parse_ruleset
from healthcode.rulesets import default_ruleset

NOW = {"plusTime": [{"var": "now"}, 0, "day"]}
RULE = {
    "id": "red-suspected",
    "clause": "A2",
    "color": "red",
    "measure": "hospital_treatment",
    "condition": {"===": [{"var": "diagnosis.status"}, "suspected"]},
    "reason": {"zh": "疑似", "en": "suspected"},
    "to_green": {"zh": "排除后转码", "en": "turns green when excluded"},
}
# Yellow for two days after a suspicion is excluded, whatever the rules say: an override that
# compares with `now`, so the review must come from it.
OVERRIDE = {
    "id": "yellow-after-exclusion",
    "clause": "S6",
    "color": "yellow",
    "condition": {
        "and": [
            {"===": [{"var": "diagnosis.status"}, "excluded"]},
            {"before": [NOW, {"plusTime": [{"var": "diagnosis.at"}, 2, "day"]}]},
        ]
    },
    "reason": {"zh": "排除后观察两天", "en": "two days after exclusion"},
    "to_green": {"zh": "两天后转码", "en": "turns green after two days"},
}
DOCUMENT: dict[str, Any] = {
    "id": "test",
    "version": "2.0.0",
    "valid_from": "2021-03-01T00:00:00+08:00",
    "description": {"zh": "测试", "en": "test"},
    "rules": [RULE],
    "overrides": [OVERRIDE],
}


def with_override(**changes: object) -> dict[str, Any]:
    document = copy.deepcopy(DOCUMENT)
    override = document["overrides"][0]
    for key, value in changes.items():
        if value is None:
            del override[key]
        else:
            override[key] = value
    return document


def test_the_default_ruleset_has_the_appeal_override_first__A5() -> None:
    ruleset = default_ruleset()
    assert ruleset.label == "zhejiang-2021-36@1.1.0"
    assert ruleset.valid_from.isoformat() == "2021-03-26T00:00:00+08:00"
    assert [(o.id, o.clause, o.colour) for o in ruleset.overrides] == [
        ("override-designated-green", "S6", Colour.GREEN)
    ]
    assert ruleset.all_rules[0] is ruleset.overrides[0]


def test_a_ruleset_without_overrides_still_parses__A5() -> None:
    document = {key: value for key, value in DOCUMENT.items() if key != "overrides"}
    assert parse_ruleset(document).overrides == ()
    assert parse_ruleset(document | {"overrides": []}).overrides == ()


@pytest.mark.parametrize(
    ("document", "where", "reason"),
    [
        (DOCUMENT | {"overrides": {"id": "x"}}, "overrides", "must be a list"),
        (with_override(color=None), "overrides[0] (yellow-after-exclusion)", "a color and no flag"),
        (
            with_override(flag="health_monitoring"),
            "overrides[0] (yellow-after-exclusion)",
            "a color and no flag",
        ),
        (with_override(color="red"), "overrides[0] (yellow-after-exclusion).measure", "M1"),
        (
            with_override(color="green", measure="home_isolation"),
            "overrides[0] (yellow-after-exclusion).measure",
            "M1",
        ),
        (with_override(clause="Z1"), "overrides[0] (yellow-after-exclusion).clause", "unknown"),
        (
            with_override(condition={"var": ["now"]}),
            "overrides[0] (yellow-after-exclusion).condition",
            "invalid CertLogic",
        ),
        (
            with_override(condition={"before": [{"var": "now"}, {"var": "diagnosis.at"}]}),
            "overrides[0] (yellow-after-exclusion).condition",
            "plusTime",
        ),
        (
            with_override(reason={"zh": "理由"}),
            "overrides[0] (yellow-after-exclusion).reason",
            "en",
        ),
        (with_override(id="red-suspected"), "rules (red-suspected)", "duplicate rule id"),
    ],
)
def test_bad_overrides_are_refused_with_the_place_of_the_problem__A5(
    document: dict[str, Any], where: str, reason: str
) -> None:
    with pytest.raises(RulesetError) as raised:
        parse_ruleset(document)
    assert raised.value.where == where
    assert reason in raised.value.reason


def test_green_stays_refused_among_ordinary_rules__A5() -> None:
    document = copy.deepcopy(DOCUMENT)
    document["rules"][0] |= {"color": "green", "measure": None}
    with pytest.raises(RulesetError, match="what remains"):
        parse_ruleset(document)


def test_an_override_decides_first_and_its_review_is_derived__S6() -> None:
    ruleset = parse_ruleset(DOCUMENT)
    facts = [diagnosis("suspected", march(17)), diagnosis("excluded", march(19))]
    at = march(20)
    decision = decide(derive_features(facts, AreaIndex((), ()), at), ruleset, at)
    assert (decision.colour, decision.rules, decision.clauses) == (
        Colour.YELLOW,
        ("yellow-after-exclusion",),
        ("S6",),
    )
    # Two days after the exclusion the override stops firing and nothing else does: green.
    assert decision.next_review_at == march(21)
    later = decide(derive_features(facts, AreaIndex((), ()), march(21)), ruleset, march(21))
    assert (later.colour, later.override) == (Colour.GREEN, None)

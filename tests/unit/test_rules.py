"""Rulesets are data: checked completely, versioned, with located errors (A5)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from healthcode.domain.documents import RulesetError
from healthcode.domain.rules import Colour, parse_ruleset
from healthcode.rulesets import default_ruleset, load_ruleset

RULE = {
    "id": "red-x",
    "clause": "A2",
    "color": "red",
    "measure": "centralized_isolation",
    "condition": {"var": "designation.red"},
    "reason": {"zh": "理由", "en": "reason"},
    "to_green": {"zh": "转码", "en": "turns green"},
}
DOCUMENT: dict[str, Any] = {
    "id": "test",
    "version": "1.2.3",
    "valid_from": "2021-04-01T00:00:00+08:00",
    "description": {"zh": "测试", "en": "test"},
    "rules": [RULE],
}


def with_change(path: str, value: object) -> dict[str, Any]:
    document = copy.deepcopy(DOCUMENT)
    target: Any = document
    *parents, last = path.split(".")
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return document


_DELETE = object()


def test_default_ruleset_implements_the_notice__A5() -> None:
    ruleset = default_ruleset()
    assert ruleset.label == "zhejiang-2021-36@1.1.0"
    clauses = {rule.clause for rule in ruleset.rules}
    assert {"A2", "A3", "A6", "A7", "M5"} <= clauses
    red = [rule for rule in ruleset.rules if rule.colour is Colour.RED]
    assert all(rule.measure is not None for rule in red)
    assert all(rule.reason.zh and rule.to_green.en for rule in ruleset.rules)


def test_valid_document_parses_with_its_version_and_start__A5() -> None:
    ruleset = parse_ruleset(DOCUMENT)
    assert (ruleset.id, ruleset.version, ruleset.valid_from.isoformat()) == (
        "test",
        "1.2.3",
        "2021-04-01T00:00:00+08:00",
    )


@pytest.mark.parametrize(
    ("document", "where", "reason"),
    [
        (with_change("version", "1.2"), "version", "not a semantic version"),
        (with_change("valid_from", "2021-04-01T00:00:00"), "valid_from", "with an offset"),
        (with_change("rules", []), "rules", "non-empty list"),
        (with_change("rules.0.clause", "Z9"), "rules[0] (red-x).clause", "unknown clause"),
        (with_change("rules.0.color", "blue"), "rules[0] (red-x).color", "must be one of"),
        (with_change("rules.0.color", "green"), "rules[0] (red-x).color", "what remains"),
        (with_change("rules.0.measure", _DELETE), "rules[0] (red-x).measure", "M1 measure"),
        (with_change("rules.0.reason", {"zh": "理由"}), "rules[0] (red-x).reason", "zh and en"),
        (
            with_change("rules.0.condition", {"or": [1, 2]}),
            "rules[0] (red-x).condition",
            "invalid CertLogic",
        ),
        (
            with_change("rules.0.condition", {"before": [{"var": "now"}, {"var": "x"}]}),
            "rules[0] (red-x).condition",
            "plusTime",
        ),
        (with_change("rules", [RULE, RULE]), "rules (red-x)", "duplicate rule id"),
    ],
)
def test_bad_rulesets_are_refused_with_the_place_of_the_problem__A5(
    document: dict[str, Any], where: str, reason: str
) -> None:
    with pytest.raises(RulesetError) as raised:
        parse_ruleset(document)
    assert raised.value.where == where
    assert reason in raised.value.reason


def test_ruleset_files_in_yaml_and_json__A5(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(json.dumps(DOCUMENT), encoding="utf-8")
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(DOCUMENT, allow_unicode=True), encoding="utf-8")
    assert load_ruleset(tmp_path / "r.json") == load_ruleset(tmp_path / "r.yaml")
    (tmp_path / "bad.yaml").write_text("rules: [", encoding="utf-8")
    with pytest.raises(RulesetError, match=r"bad\.yaml: not valid YAML"):
        load_ruleset(tmp_path / "bad.yaml")
    with pytest.raises(RulesetError, match=r"missing\.yaml"):
        load_ruleset(tmp_path / "missing.yaml")

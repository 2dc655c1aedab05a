"""Rules as data (DESIGN, layer 2): ordered CertLogic conditions over features, versioned.

A ruleset is read from a plain mapping (YAML or JSON), checked completely before use, and never
changed afterwards. An optional `overrides` list, of the same rule shape, comes before the rules:
the first override that fires decides the colour (an authority's decision after an appeal, S6).
The notice's clauses are carried on every rule so each decision can say which clause put a person
where they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from itertools import pairwise
from typing import Any

from healthcode.certlogic import validate as validate_expression
from healthcode.domain.documents import (
    RulesetError,
    bilingual,
    optional_member,
    optional_text,
    required_text,
)
from healthcode.domain.text import Bilingual

CLAUSES = frozenset(
    [
        "A1",
        "A2",
        "A3",
        "A4",
        "A5",
        "A6",
        "A7",
        "A8",
        "M1",
        "M2",
        "M3",
        "M4",
        "M5",
        "S1",
        "S2",
        "S3",
        "S4",
        "S5",
        "S6",
        "D1",
        "D2",
        "D3",
    ]
)
_DATE_COMPARISONS = frozenset(["before", "after", "not-before", "not-after"])
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$")
_RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class Colour(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class Measure(StrEnum):
    """What M1 prescribes for a red person."""

    HOSPITAL_TREATMENT = "hospital_treatment"
    HOSPITAL_ISOLATION = "hospital_isolation"
    CENTRALIZED_ISOLATION = "centralized_isolation"
    HOME_ISOLATION = "home_isolation"


@dataclass(frozen=True, slots=True)
class Rule:
    """One condition. A rule either gives a colour (red with an M1 measure, or yellow) or a flag."""

    id: str
    clause: str
    condition: Any
    reason: Bilingual
    to_green: Bilingual
    colour: Colour | None = None
    measure: Measure | None = None
    flag: str | None = None
    # The other sides of the condition's comparisons with `now`, found once when the rule is read.
    compared_with_now: tuple[Any, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Ruleset:
    id: str
    version: str
    valid_from: datetime
    description: Bilingual
    rules: tuple[Rule, ...]
    # Evaluated before `rules`: the first that fires decides the colour (an authority's word, S6).
    overrides: tuple[Rule, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def all_rules(self) -> tuple[Rule, ...]:
        """Overrides, then the ordinary rules: everything a decision may name."""
        return self.overrides + self.rules


def parse_ruleset(document: Mapping[str, Any]) -> Ruleset:
    """Check a ruleset document completely and build it; the first problem raises RulesetError."""
    version = required_text(document, "version", "ruleset")
    if not _SEMVER.match(version):
        raise RulesetError("version", "not a semantic version (MAJOR.MINOR.PATCH)")
    rules_data = document.get("rules")
    if not isinstance(rules_data, Sequence) or isinstance(rules_data, str) or not rules_data:
        raise RulesetError("rules", "must be a non-empty list")
    rules = tuple(_rule(item, f"rules[{index}]") for index, item in enumerate(rules_data))
    overrides = _overrides(document.get("overrides"))
    _check_unique_ids(overrides + rules)
    return Ruleset(
        id=required_text(document, "id", "ruleset"),
        version=version,
        valid_from=_instant(document.get("valid_from"), "valid_from"),
        description=bilingual(document.get("description"), "description"),
        rules=rules,
        overrides=overrides,
    )


def _overrides(data: object) -> tuple[Rule, ...]:
    """The optional `overrides` list: rules of the same shape that decide a colour outright."""
    if data is None:
        return ()
    if not isinstance(data, Sequence) or isinstance(data, str):
        raise RulesetError("overrides", "must be a list")
    return tuple(
        _rule(item, f"overrides[{index}]", override=True) for index, item in enumerate(data)
    )


def _rule(item: object, where: str, *, override: bool = False) -> Rule:
    if not isinstance(item, Mapping):
        raise RulesetError(where, "must be a mapping")
    rule_id = required_text(item, "id", where)
    if not _RULE_ID.match(rule_id):
        raise RulesetError(f"{where}.id", "letters, digits, '.', '_' and '-' only")
    where = f"{where} ({rule_id})"
    clause = required_text(item, "clause", where)
    if clause not in CLAUSES:
        raise RulesetError(f"{where}.clause", "unknown clause of the notice")
    condition = _condition(item.get("condition"), f"{where}.condition")
    rule = Rule(
        id=rule_id,
        clause=clause,
        condition=condition,
        reason=bilingual(item.get("reason"), f"{where}.reason"),
        to_green=bilingual(item.get("to_green"), f"{where}.to_green"),
        colour=optional_member(Colour, item.get("color"), f"{where}.color"),
        measure=optional_member(Measure, item.get("measure"), f"{where}.measure"),
        flag=optional_text(item.get("flag"), f"{where}.flag"),
        compared_with_now=tuple(compared_with_now(condition)),
    )
    if override:
        _check_override(rule, where)
    else:
        _check_outcome(rule, where)
    return rule


def _check_outcome(rule: Rule, where: str) -> None:
    if (rule.colour is None) == (rule.flag is None):
        raise RulesetError(where, "a rule gives either a color or a flag")
    if rule.colour is Colour.GREEN:
        raise RulesetError(
            f"{where}.color", "green is what remains when no rule fires (A4), or an override"
        )
    _check_measure(rule, where)


def _check_override(rule: Rule, where: str) -> None:
    # An override decides the colour, nothing else: a flag (M5) is never overridden away.
    if rule.colour is None or rule.flag is not None:
        raise RulesetError(where, "an override gives a color and no flag")
    _check_measure(rule, where)


def _check_measure(rule: Rule, where: str) -> None:
    if (rule.colour is Colour.RED) != (rule.measure is not None):
        raise RulesetError(f"{where}.measure", "red rules, and only they, carry an M1 measure")


def _condition(expression: object, where: str) -> object:
    if expression is None:
        raise RulesetError(where, "missing")
    issues = validate_expression(expression)
    if issues:
        raise RulesetError(where, f"invalid CertLogic: {issues[0].message}")
    problem = now_usage_problem(expression)
    if problem:
        raise RulesetError(where, problem)
    return expression


def now_usage_problem(expression: object) -> str | None:
    """`now` may appear only as the bare instant {"plusTime": [{"var": "now"}, 0, unit]}.

    Keeping time arithmetic on the facts' side is what lets `next_review_at` be derived from the
    rules: each comparison with `now` then flips exactly at the instant its other side names.
    """
    if isinstance(expression, list):
        return next(filter(None, map(now_usage_problem, expression)), None)
    if not isinstance(expression, dict):
        return None
    if is_now(expression):
        return None
    if expression.get("var") == "now":
        return 'use {"plusTime": [{"var": "now"}, 0, "day"]} to read the current instant'
    return next(filter(None, map(now_usage_problem, expression.values())), None)


def is_now(expression: object) -> bool:
    if not isinstance(expression, dict) or set(expression) != {"plusTime"}:
        return False
    operands = expression["plusTime"]
    return (
        isinstance(operands, list)
        and len(operands) == 3
        and operands[0] == {"var": "now"}
        and operands[1] == 0
    )


def compared_with_now(expression: object) -> Iterator[object]:
    """The operands that a date comparison anywhere in `expression` sets against `now`."""
    if isinstance(expression, list):
        for item in expression:
            yield from compared_with_now(item)
    elif isinstance(expression, dict):
        for operator, operands in expression.items():
            if operator in _DATE_COMPARISONS and isinstance(operands, list):
                for left, right in pairwise(operands):
                    if is_now(left) != is_now(right):
                        yield right if is_now(left) else left
            yield from compared_with_now(operands)


def _check_unique_ids(rules: tuple[Rule, ...]) -> None:
    # Overrides share the namespace: a decision names them among the rules that fired.
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RulesetError(f"rules ({rule.id})", "duplicate rule id")
        seen.add(rule.id)


def _instant(value: object, where: str) -> datetime:
    # YAML already turns an unquoted timestamp into a datetime; JSON gives a string.
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise RulesetError(where, "not an ISO 8601 instant") from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise RulesetError(where, "must be an ISO 8601 instant with an offset")
    return value

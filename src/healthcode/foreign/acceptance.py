"""Which facts of a foreign certificate count here: acceptance rules as data (issue #15; A8, S5).

A verified certificate proves what its issuer states; whether that statement is evidence here
(this vaccine, a test this recent, a recovery still valid) is policy, written as CertLogic rules
in the manner of the EU DCC's business rules, versioned and approved like the colour rules
(db/rulesets_store.py, kind `foreign-acceptance`; ADR 0016); the bundled default is
rulesets/foreign-acceptance.yaml. A fact is accepted when every rule
that applies to its kind gives exactly `true` for the data

    {"payload": {"kind", "country", "occurred_at", "details": {…}},
     "external": {"validationClock": the instant of the decision}}

The holder's name and birth date are not in the data: no rule may decide by who a person is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, get_args

from healthcode.certlogic import CertLogicError, evaluate, format_datetime, validate
from healthcode.domain.documents import RulesetError, bilingual, required_text
from healthcode.domain.text import Bilingual
from healthcode.foreign.verdicts import FactKind, ForeignFact

KIND: Final = "foreign-acceptance"
FACT_KINDS: Final[frozenset[str]] = frozenset(get_args(FactKind))


@dataclass(frozen=True, slots=True)
class AcceptanceRule:
    id: str
    applies_to: frozenset[str]  # fact kinds: vaccination, test, recovery
    description: Bilingual  # what the rule asks, shown when a fact is not accepted
    logic: object  # CertLogic


@dataclass(frozen=True, slots=True)
class AcceptanceRules:
    id: str
    version: str
    valid_from: datetime
    description: Bilingual
    rules: tuple[AcceptanceRule, ...]

    @property
    def label(self) -> str:
        return f"{self.id}@{self.version}"


def parse_acceptance(document: Mapping[str, Any]) -> AcceptanceRules:
    """Check an acceptance ruleset completely; the first problem raises a located RulesetError."""
    if document.get("kind") != KIND:
        raise RulesetError("kind", f"must be {KIND}")
    rules_data = document.get("rules")
    if not isinstance(rules_data, Sequence) or isinstance(rules_data, str) or not rules_data:
        raise RulesetError("rules", "must be a non-empty list")
    rules = tuple(_rule(item, f"rules[{index}]") for index, item in enumerate(rules_data))
    ids = [rule.id for rule in rules]
    if len(set(ids)) != len(ids):
        raise RulesetError("rules", "rule ids must be unique")
    return AcceptanceRules(
        id=required_text(document, "id", "ruleset"),
        version=required_text(document, "version", "ruleset"),
        valid_from=_instant(document.get("valid_from")),
        description=bilingual(document.get("description"), "description"),
        rules=rules,
    )


def _rule(item: object, where: str) -> AcceptanceRule:
    if not isinstance(item, Mapping):
        raise RulesetError(where, "must be a mapping")
    rule_id = required_text(item, "id", where)
    where = f"{where} ({rule_id})"
    kinds = item.get("applies_to")
    if (
        not isinstance(kinds, Sequence)
        or isinstance(kinds, str)
        or not kinds
        or not set(kinds) <= FACT_KINDS
    ):
        raise RulesetError(f"{where}.applies_to", f"a list of {', '.join(sorted(FACT_KINDS))}")
    logic = item.get("logic")
    if logic is None:
        raise RulesetError(f"{where}.logic", "missing")
    issues = validate(logic)
    if issues:
        raise RulesetError(f"{where}.logic", f"invalid CertLogic: {issues[0].message}")
    return AcceptanceRule(
        rule_id, frozenset(kinds), bilingual(item.get("description"), f"{where}.description"), logic
    )


def _instant(value: object) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise RulesetError("valid_from", "not an ISO 8601 instant") from None
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise RulesetError("valid_from", "must be an ISO 8601 instant with an offset")
    return value


def unmet_rules(
    rules: AcceptanceRules, fact: ForeignFact, at: datetime
) -> tuple[AcceptanceRule, ...]:
    """The rules for `fact`'s kind that it does not meet at `at`: none when it is accepted.

    A rule that cannot be evaluated on the fact (a detail of the wrong type) is not met: a fact
    is accepted only on rules that said yes.
    """
    data = acceptance_data(fact, at)
    unmet = []
    for rule in rules.rules:
        if fact.kind not in rule.applies_to:
            continue
        try:
            met = evaluate(rule.logic, data) is True
        except CertLogicError:
            met = False
        if not met:
            unmet.append(rule)
    return tuple(unmet)


def acceptance_data(fact: ForeignFact, at: datetime) -> dict[str, object]:
    return {
        "payload": {
            "kind": fact.kind,
            "country": fact.country,
            "occurred_at": format_datetime(fact.occurred_at),
            "details": dict(fact.details),
        },
        "external": {"validationClock": format_datetime(at)},
    }

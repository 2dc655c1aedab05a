"""Decisions: features + ruleset → colour, explanation, measure, flags and the next review.

An override that fires (the ruleset's `overrides`, tried in order before the rules) decides the
colour outright: an authority's decision after an appeal (S6). Otherwise red dominates yellow,
yellow dominates green; green is what remains (A4). The measure of a red person is the measure of
the first red rule that fired, so a ruleset orders its red rules from the most to the least
serious. `next_review_at` is found from the rules themselves: every comparison of an instant with
`now` can flip only where its other side points, so the decision is re-evaluated at those
instants, in order, until one differs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from healthcode.certlogic import CertLogicError, evaluate, format_datetime
from healthcode.domain.features import Features
from healthcode.domain.rules import Colour, Measure, Rule, Ruleset

# CertLogic instants have millisecond resolution: a non-strict comparison flips one tick later.
_TICK = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class Decision:
    colour: Colour
    fired: tuple[Rule, ...]
    measure: Measure | None
    flags: tuple[str, ...]
    next_review_at: datetime | None
    ruleset: str
    # The override that decided the colour, if one did; it is then the first rule that fired.
    override: Rule | None = None

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.fired)

    @property
    def clauses(self) -> tuple[str, ...]:
        """The notice's clauses behind the decision, most general first, without repeats."""
        # Green by override is the authority's decision (its own clause), not "no rule fired" (A4).
        clauses = ["A4"] if self.colour is Colour.GREEN and self.override is None else []
        clauses += [rule.clause for rule in self.fired]
        if self.measure is not None:
            clauses.append("M1")
        return tuple(dict.fromkeys(clauses))

    @property
    def outcome(self) -> tuple[object, ...]:
        return (self.colour, self.rules, self.measure, self.flags)


def decide(features: Features, ruleset: Ruleset, at: datetime) -> Decision:
    """The decision at `at`, with the next instant at which it changes with no new fact."""
    data = features.as_data(at)
    current = _evaluate(data, ruleset)
    for instant in sorted({t for t in _flip_instants(ruleset, data) if t > at}):
        # Features stay as they are; only the clock moves.
        later = _evaluate({**data, "now": format_datetime(instant)}, ruleset)
        if later.outcome != current.outcome:
            return replace(current, next_review_at=instant)
    return current


def _evaluate(data: dict[str, Any], ruleset: Ruleset) -> Decision:
    fired = tuple(rule for rule in ruleset.rules if _fires(rule, data))
    override = next((rule for rule in ruleset.overrides if _fires(rule, data)), None)
    return decision_of(fired, override, ruleset)


def decision_of(fired: tuple[Rule, ...], override: Rule | None, ruleset: Ruleset) -> Decision:
    """The decision once it is known which rules and which override (if any) fired.

    Shared with the population path (domain/columnar), so both combine rules the same way.
    """
    flags = tuple(dict.fromkeys(rule.flag for rule in fired if rule.flag is not None))
    if override is not None and override.colour is not None:
        # The override alone explains the colour; the rules it overrode would only contradict it.
        flagged = tuple(rule for rule in fired if rule.flag is not None)
        return Decision(
            override.colour,
            (override, *flagged),
            override.measure,
            flags,
            None,
            ruleset.label,
            override,
        )
    colours = {rule.colour for rule in fired}
    colour = next((c for c in (Colour.RED, Colour.YELLOW) if c in colours), Colour.GREEN)
    measure = next((rule.measure for rule in fired if rule.colour is Colour.RED), None)
    return Decision(colour, fired, measure, flags, None, ruleset.label)


def _fires(rule: Rule, data: dict[str, Any]) -> bool:
    return _is_truthy(evaluate(rule.condition, data))


def _is_truthy(value: object) -> bool:
    # CertLogic's truthy values; a date-time is neither truthy nor falsy, so it never fires.
    return isinstance(value, bool | int | str | list | dict) and bool(value)


def _flip_instants(ruleset: Ruleset, data: dict[str, Any]) -> Iterator[datetime]:
    """Where a comparison with `now` can change its truth value: where its other side points."""
    for rule in ruleset.all_rules:
        for operand in rule.compared_with_now:
            try:
                value = evaluate(operand, data)
            except CertLogicError:
                continue  # e.g. an instant that is missing: that comparison never flips
            if isinstance(value, datetime):
                yield value
                yield value + _TICK

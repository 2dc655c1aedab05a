"""Corrections: a code is corrected only through facts, never by editing a colour (S6).

Two kinds of fact correct what the others say, and neither edits the log:
- a `Retraction` withdraws an earlier fact of the same person. From the instant the retraction
  occurred the fact no longer counts; before that instant it still does, so a decision made
  earlier is still explained by the facts it was made from (as-of semantics).
- a green `Designation` is an authority's override, which the ruleset's `overrides` turn into a
  colour; it must name its authority and come with its end, so that it lapses by itself.

`in_force` is the one place that applies retractions: every path that derives features goes
through it, so one person's code and a population's dry run agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from healthcode.domain.facts import Action, DesignatedColour, Designation, Fact, Retraction

RETRACTED_UNKNOWN = "names no fact of this person"
RETRACTED_AMBIGUOUS = (
    "names more than one fact of this person (event ids are unique only within a source)"
)
RETRACTED_RETRACTION = (
    "a retraction cannot be withdrawn: if the fact was right after all, record it again under "
    "a new event_id, so that whether a fact counts never depends on a chain of retractions"
)
GREEN_WITHOUT_END = (
    "a green designation needs its expiry: an end designation of the same person, dated after "
    "the start, recorded with it or before it"
)


def in_force(facts: Iterable[Fact], at: datetime) -> list[Fact]:
    """The facts that count at `at`: occurred by then and not withdrawn by a retraction by then.

    Retractions themselves are left out; they say which facts count, not what a person's status
    is.
    """
    known = [fact for fact in facts if fact.occurred_at <= at]
    withdrawn = {fact.payload.event_id for fact in known if isinstance(fact.payload, Retraction)}
    return [
        fact
        for fact in known
        if not isinstance(fact.payload, Retraction) and fact.event_id not in withdrawn
    ]


def needs_footing(fact: Fact) -> bool:
    """Whether `fact` must be checked against the person's other facts before it is accepted."""
    return isinstance(fact.payload, Retraction) or _is_green_start(fact.payload)


def correction_problem(fact: Fact, on_file: Sequence[Fact]) -> tuple[str, str] | None:
    """(field, reason) if `fact` cannot be accepted beside the person's facts `on_file`.

    `on_file` holds the same person's facts, stored or arriving in the same batch. Facts that
    correct nothing are always fine.
    """
    payload = fact.payload
    if isinstance(payload, Retraction):
        reason = _retraction_problem(payload, [f for f in on_file if f is not fact])
        return None if reason is None else ("retracts", reason)
    if _is_green_start(payload) and not _has_end(fact, on_file):
        return ("color", GREEN_WITHOUT_END)
    return None


def _retraction_problem(retraction: Retraction, on_file: Sequence[Fact]) -> str | None:
    named = [fact for fact in on_file if fact.event_id == retraction.event_id]
    if not named:
        return RETRACTED_UNKNOWN
    if len(named) > 1:
        return RETRACTED_AMBIGUOUS
    if isinstance(named[0].payload, Retraction):
        return RETRACTED_RETRACTION
    return None


def _is_green_start(payload: object) -> bool:
    return (
        isinstance(payload, Designation)
        and payload.action is Action.START
        and payload.color is DesignatedColour.GREEN
    )


def _has_end(start: Fact, on_file: Sequence[Fact]) -> bool:
    """An end that closes this green designation: green or colourless, dated after the start."""
    return any(
        isinstance(fact.payload, Designation)
        and fact.payload.action is Action.END
        and fact.payload.color in (None, DesignatedColour.GREEN)
        and fact.occurred_at > start.occurred_at
        for fact in on_file
    )

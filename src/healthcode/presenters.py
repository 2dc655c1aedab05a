"""Shapes shown to the outside: the decision JSON of SPEC §2, shared by every command and API."""

from __future__ import annotations

from typing import Any

from healthcode.domain.decisions import Decision
from healthcode.domain.facts import PersonKey
from healthcode.domain.timezones import display_instant


def decision_json(
    person: PersonKey, decision: Decision, *, explain: bool = False
) -> dict[str, object]:
    shown: dict[str, object] = {
        "person": {"id_type": person.id_type.value, "id_number": person.id_number},
        **decision_fields(decision),
    }
    if explain:
        shown["ruleset"] = decision.ruleset
        shown["explanation"] = [
            {
                "rule": rule.id,
                "clause": rule.clause,
                "reason": rule.reason.as_dict(),
                "to_green": rule.to_green.as_dict(),
            }
            for rule in decision.fired
        ]
    return shown


# The decision part of SPEC §2, in its order; stored states are sealed as sorted JSON, so readers
# put them back in this order.
DECISION_FIELDS = ("color", "rules", "clauses", "measure", "flags", "next_review_at")


def decision_fields(decision: Decision) -> dict[str, Any]:
    """The decision part of the SPEC §2 shape, as stored in a code state and shown by `status`."""
    return {
        "color": decision.colour.value,
        "rules": list(decision.rules),
        "clauses": list(decision.clauses),
        "measure": None if decision.measure is None else decision.measure.value,
        "flags": list(decision.flags),
        "next_review_at": display_instant(decision.next_review_at),
    }

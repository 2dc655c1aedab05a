"""Codes are corrected only through facts: retractions and an authority's green designation (S6)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pytest

from builders import designation, diagnosis, fact, health_monitoring, march, nucleic_acid
from healthcode.domain.corrections import (
    GREEN_WITHOUT_END,
    RETRACTED_AMBIGUOUS,
    RETRACTED_RETRACTION,
    RETRACTED_UNKNOWN,
    correction_problem,
    in_force,
)
from healthcode.domain.decisions import Decision, decide
from healthcode.domain.exposure import AreaIndex
from healthcode.domain.facts import (
    Action,
    DesignatedColour,
    Designation,
    Fact,
    Retraction,
    Source,
)
from healthcode.domain.features import derive_features
from healthcode.rulesets import default_ruleset

AT = march(20)
AUTHORITY = "杭州市西湖区疫情防控指挥部"
POSITIVE = nucleic_acid("positive", march(18, 8), known=march(18))
RED_DESIGNATION = designation("start", march(15))


def retraction(target: Fact | str, when: datetime) -> Fact:
    named = target if isinstance(target, str) else target.event_id
    return fact(Retraction(named, "样本登记错误"), when, source=Source.HOTLINE)


def green(action: str, when: datetime) -> Fact:
    authority = AUTHORITY if action == "start" else None
    payload = Designation(Action(action), DesignatedColour.GREEN, "12345 申诉核查", authority)
    return fact(payload, when, source=Source.ADMIN)


GREEN_START = green("start", march(19))
GREEN_END = green("end", march(22))


def decide_at(facts: Sequence[Fact], at: datetime = AT) -> Decision:
    return decide(derive_features(facts, AreaIndex((), ()), at), default_ruleset(), at)


@pytest.mark.parametrize(
    ("facts", "at", "expected"),
    [
        # Withdrawn before the instant: the positive test no longer counts.
        ([POSITIVE, retraction(POSITIVE, march(19))], AT, ("green", ())),
        # Known only after the instant: the evaluation at that instant is unchanged.
        ([POSITIVE, retraction(POSITIVE, march(21))], AT, ("red", ("red-positive-test",))),
        (
            [POSITIVE, retraction(POSITIVE, march(19))],
            march(18, 18),
            ("red", ("red-positive-test",)),
        ),
        # A retraction naming nothing withdraws nothing.
        ([POSITIVE, retraction("no-such-fact", march(19))], AT, ("red", ("red-positive-test",))),
        # Withdrawing the diagnosis that followed a positive test leaves the test awaiting one.
        (
            [POSITIVE, (excluded := diagnosis("excluded", march(19))), retraction(excluded, AT)],
            AT,
            ("red", ("red-positive-test",)),
        ),
        # Withdrawing the end of a designation puts the designation back in force.
        (
            [
                RED_DESIGNATION,
                (ended := designation("end", march(17), None)),
                retraction(ended, AT),
            ],
            AT,
            ("red", ("red-designated",)),
        ),
    ],
)
def test_a_retraction_withdraws_a_fact_from_when_it_is_known__S6(
    facts: list[Fact], at: datetime, expected: tuple[str, tuple[str, ...]]
) -> None:
    decision = decide_at(facts, at)
    assert (decision.colour.value, decision.rules) == expected


def test_facts_in_force_leave_out_retractions_and_what_they_withdraw__S6() -> None:
    withdrawal = retraction(POSITIVE, march(19))
    kept = diagnosis("confirmed", march(19))
    assert in_force([POSITIVE, withdrawal, kept], AT) == [kept]
    assert in_force([POSITIVE, withdrawal, kept], march(18, 18)) == [POSITIVE]


OTHER_SOURCE_SAME_ID = Fact(
    POSITIVE.event_id, Source.POLICE, POSITIVE.person, march(17), RED_DESIGNATION.payload
)
RETRACTED_ONCE = retraction(POSITIVE, march(19))
UNKNOWN = ("retracts", RETRACTED_UNKNOWN)
AMBIGUOUS = ("retracts", RETRACTED_AMBIGUOUS)
FINAL = ("retracts", RETRACTED_RETRACTION)
NO_END = ("color", GREEN_WITHOUT_END)


@pytest.mark.parametrize(
    ("new", "on_file", "expected"),
    [
        (retraction(POSITIVE, AT), [POSITIVE], None),
        (retraction(POSITIVE, AT), [], UNKNOWN),
        (retraction("unknown", AT), [POSITIVE], UNKNOWN),
        (retraction(POSITIVE, AT), [POSITIVE, OTHER_SOURCE_SAME_ID], AMBIGUOUS),
        (retraction(RETRACTED_ONCE, AT), [POSITIVE, RETRACTED_ONCE], FINAL),
        (GREEN_START, [GREEN_END], None),
        (GREEN_START, [designation("end", march(25), None)], None),
        (GREEN_START, [], NO_END),
        (GREEN_START, [green("end", march(18))], NO_END),
        (GREEN_START, [designation("end", march(25), "red")], NO_END),
        (RED_DESIGNATION, [], None),
    ],
)  # fmt: skip
def test_a_correction_needs_footing_in_the_persons_facts__S6(
    new: Fact, on_file: list[Fact], expected: tuple[str, str] | None
) -> None:
    assert correction_problem(new, [new, *on_file]) == expected


def test_a_green_designation_without_authority_cannot_exist__S6() -> None:
    with pytest.raises(ValueError, match="authority"):
        Designation(Action.START, DesignatedColour.GREEN, "申诉", None)
    with pytest.raises(ValueError, match="authority"):
        Designation(Action.START, DesignatedColour.GREEN, "申诉", "")
    # Ending one refers to the start, which named its authority.
    assert Designation(Action.END, DesignatedColour.GREEN, None, None).authority is None


@pytest.mark.parametrize(
    ("facts", "at", "expected"),
    [
        (
            [POSITIVE, GREEN_START, GREEN_END],
            AT,
            ("green", ("override-designated-green",), ("S6",), None),
        ),
        (
            [POSITIVE, GREEN_START, GREEN_END],
            march(22),
            ("red", ("red-positive-test",), ("A2", "M1"), "hospital_isolation"),
        ),
        (
            [RED_DESIGNATION, GREEN_START, GREEN_END],
            AT,
            ("green", ("override-designated-green",), ("S6",), None),
        ),
        # An end without a colour ends every designation, the green one too.
        (
            [RED_DESIGNATION, GREEN_START, designation("end", march(21), None)],
            march(21),
            ("green", (), ("A4",), None),
        ),
        # The override decides the colour, not the flags (M5 still keeps schools closed to them).
        (
            [health_monitoring("start", march(18)), GREEN_START, GREEN_END],
            AT,
            ("green", ("override-designated-green", "flag-health-monitoring"), ("S6", "M5"), None),
        ),
    ],
)
def test_a_green_designation_overrides_the_rules_until_its_end__S6(
    facts: list[Fact], at: datetime, expected: tuple[object, ...]
) -> None:
    decision = decide_at(facts, at)
    shown = (decision.colour.value, decision.rules, decision.clauses, decision.measure)
    assert shown == expected


def test_the_override_says_why_the_code_is_green__S6() -> None:
    decision = decide_at([POSITIVE, GREEN_START, GREEN_END])
    assert decision.override is not None
    assert decision.override.id == "override-designated-green"
    assert "12345" in decision.override.reason.zh
    assert "appeal" in decision.override.reason.en
    assert decision.flags == ()
    assert derive_features([GREEN_START], AreaIndex((), ()), AT).as_data(AT)["designation"] == {
        "red": False,
        "yellow": False,
        "green": True,
        "reason": "12345 申诉核查",
    }

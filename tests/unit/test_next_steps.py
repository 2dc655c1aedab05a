"""Every colour's card says what the person can do next and when it may change (A3, M1, M4)."""

from __future__ import annotations

from datetime import UTC, datetime

from healthcode.domain.next_steps import (
    APPEAL,
    FOLLOW_THE_MEASURE,
    KEEP_GREEN,
    NEGATIVE_TEST,
    ON_RECORD,
    STAYS_GREEN,
    SYMPTOMS_RESOLVED,
    Action,
    next_steps,
    when_it_may_change,
)
from healthcode.domain.rules import Colour


def test_symptoms_end_with_a_negative_test_or_by_reporting_them_gone__A3_M4() -> None:
    steps = next_steps(Colour.YELLOW, ["yellow-symptoms"], measured=False)
    assert steps == [NEGATIVE_TEST, SYMPTOMS_RESOLVED, APPEAL]
    assert SYMPTOMS_RESOLVED.action is Action.SYMPTOMS_RESOLVED
    assert when_it_may_change(Colour.YELLOW, None) == ON_RECORD


def test_red_follows_its_measure_and_each_step_is_said_once__M1() -> None:
    steps = next_steps(Colour.RED, ["red-isolation-home", "yellow-symptoms"], measured=True)
    assert steps[0] == FOLLOW_THE_MEASURE
    assert steps.count(APPEAL) == 1
    assert len(steps) == len(set(steps))


def test_green_needs_nothing_and_a_review_instant_says_when__A4() -> None:
    assert next_steps(Colour.GREEN, ["flag-health-monitoring"], measured=False) == [KEEP_GREEN]
    assert when_it_may_change(Colour.GREEN, None) == STAYS_GREEN
    assert when_it_may_change(Colour.RED, datetime(2021, 3, 20, tzinfo=UTC)) is None

"""Properties of the decision core that no example list can show (A5, S5).

Facts arrive from many departments in any order: the order must not matter. A decision "as of"
an instant must not be moved by anything that happened later.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from builders import march, risk_area, severe
from healthcode.domain.decisions import decide
from healthcode.domain.exposure import AreaIndex
from healthcode.domain.facts import Fact
from healthcode.domain.features import derive_features
from healthcode.rulesets import default_ruleset
from strategies import facts_of_one_person

AT = march(20)
AREAS = AreaIndex(
    [risk_area("420106", "high", march(3)), risk_area("3101", "medium", march(5), march(12))],
    [severe("330106", march(14), lookback_days=7)],
)


def outcome(facts: list[Fact], at: datetime = AT) -> tuple[object, ...]:
    decision = decide(derive_features(facts, AREAS, at), default_ruleset(), at)
    return (*decision.outcome, decision.next_review_at)


@given(facts_of_one_person, st.randoms(use_true_random=False))
def test_event_order_does_not_change_the_decision__S5(facts: list[Fact], rnd: object) -> None:
    shuffled = list(facts)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert outcome(shuffled) == outcome(facts)


@given(facts_of_one_person, facts_of_one_person)
def test_a_fact_after_the_instant_never_changes_the_decision__A5(
    facts: list[Fact], later: list[Fact]
) -> None:
    after = [f for f in later if f.occurred_at > AT]
    assert outcome(facts + after) == outcome([f for f in facts if f.occurred_at <= AT] + after)
    assert outcome(facts + after) == outcome(facts)


@given(facts_of_one_person)
def test_next_review_is_the_first_instant_the_decision_changes__A5(facts: list[Fact]) -> None:
    facts = [f for f in facts if f.occurred_at <= AT]  # "with no new fact"
    decision = decide(derive_features(facts, AREAS, AT), default_ruleset(), AT)
    if decision.next_review_at is None:
        return
    review = decision.next_review_at
    assert review > AT
    just_before = review - timedelta(milliseconds=1)
    assert outcome(facts, just_before)[:4] == decision.outcome
    assert outcome(facts, review)[:4] != decision.outcome

"""Hypothesis strategies for domain data, shared by property tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import strategies as st

from builders import (
    designation,
    diagnosis,
    entry,
    fever_clinic,
    health_monitoring,
    home_observation,
    isolation,
    march,
    nucleic_acid,
    person,
    retraction,
    risk_area,
    severe,
    symptoms,
    trip,
    vaccination,
)
from healthcode.domain.areas import RiskArea, SevereDesignation
from healthcode.domain.facts import Fact

_MAKERS: list[Callable[[datetime], Fact]] = [
    lambda t: diagnosis("confirmed", t),
    lambda t: diagnosis("suspected", t),
    lambda t: diagnosis("excluded", t),
    lambda t: diagnosis("discharged", t),
    lambda t: nucleic_acid("positive", t),
    lambda t: nucleic_acid("negative", t),
    lambda t: isolation("start", t),
    lambda t: isolation("start", t, setting="home", reason="recovery"),
    lambda t: isolation("end", t),
    lambda t: home_observation("start", t),
    lambda t: home_observation("end", t),
    lambda t: health_monitoring("start", t),
    lambda t: fever_clinic("start", t),
    lambda t: fever_clinic("end", t),
    lambda t: symptoms("report", t),
    lambda t: symptoms("resolved", t),
    lambda t: designation("start", t, color="yellow"),
    lambda t: designation("end", t, color=None),
    lambda t: trip("420106", t, until=t + timedelta(days=1)),
    lambda t: trip("310115", t),
    lambda t: trip("330106001", t, until=t + timedelta(hours=5)),
    lambda t: trip("330102", t),
]

instants = st.builds(
    lambda day, minutes: march(1) + timedelta(days=day, minutes=minutes),
    st.integers(0, 25),
    st.integers(0, 24 * 60 - 1),
)
facts_of_one_person = st.lists(
    st.builds(lambda make, when: make(when), st.sampled_from(_MAKERS), instants), max_size=12
)


# Populations for the columnar path (issue #12): more kinds of fact than above, several persons,
# retractions of their own facts, and random area lists.
_MORE_MAKERS: list[Callable[[datetime], Fact]] = [
    *_MAKERS,
    lambda t: diagnosis("asymptomatic", t),
    lambda t: isolation("start", t, setting="home", reason="inbound"),
    lambda t: home_observation("start", t),
    lambda t: health_monitoring("end", t),
    lambda t: designation("start", t, color="red"),
    lambda t: designation("end", t, color="red"),
    lambda t: designation("start", t, color="green"),
    lambda t: designation("end", t, color="green"),
    lambda t: trip("420106", t),
    lambda t: trip("330106", t, until=t + timedelta(days=3), venue_id="V-1"),
    lambda t: trip("3101", t, until=t + timedelta(days=2)),
    vaccination,
    entry,
]
_REGIONS = ("420106", "420100", "3101", "310115", "33", "330106", "330102")


@st.composite
def person_facts(draw: st.DrawFn, number: int) -> list[Fact]:
    """One person's facts, some of them withdrawn by retractions of the same person."""
    facts = draw(
        st.lists(st.builds(lambda m, t: m(t), st.sampled_from(_MORE_MAKERS), instants), max_size=10)
    )
    who = person(number)
    facts = [replace(f, person=who) for f in facts]
    withdrawn = draw(st.lists(st.sampled_from(facts), max_size=2)) if facts else []
    retractions = [retraction(f.event_id, draw(instants), who) for f in withdrawn]
    return facts + retractions


@st.composite
def populations(draw: st.DrawFn) -> list[Fact]:
    """The facts of up to six persons, interleaved as departments would send them."""
    count = draw(st.integers(1, 6))
    facts = [f for number in range(count) for f in draw(person_facts(number))]
    return draw(st.permutations(facts))


def _period(draw: st.DrawFn) -> tuple[datetime, datetime | None]:
    start = draw(instants)
    length = draw(st.none() | st.integers(1, 20))
    return start, None if length is None else start + timedelta(days=length)


@st.composite
def risk_areas(draw: st.DrawFn) -> list[RiskArea]:
    areas = []
    for _ in range(draw(st.integers(0, 3))):
        start, end = _period(draw)
        level = draw(st.sampled_from(["high", "medium", "low"]))
        areas.append(risk_area(draw(st.sampled_from(_REGIONS)), level, start, end))
    return areas


@st.composite
def severe_designations(draw: st.DrawFn) -> list[SevereDesignation]:
    designations = []
    for index in range(draw(st.integers(0, 2))):
        start, end = _period(draw)
        region = draw(st.none() | st.sampled_from(_REGIONS))
        venue = "V-1" if region is None else draw(st.sampled_from([None, "V-1"]))
        lookback = draw(st.integers(0, 14))
        made = severe(region, start, lookback_days=lookback, end=end, venue_id=venue)
        designations.append(replace(made, designation_id=f"SD-{index}"))
    return designations

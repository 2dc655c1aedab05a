"""Hypothesis strategies for domain data, shared by property tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from hypothesis import strategies as st

from builders import (
    designation,
    diagnosis,
    fever_clinic,
    health_monitoring,
    home_observation,
    isolation,
    march,
    nucleic_acid,
    symptoms,
    trip,
)
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

"""Stored fact records frame exactly as the facts they were written from (issue #12).

The columnar re-evaluation frames the opened records (`population_frame_of_records`) instead of
parsing them into facts again; on random populations the frame must be the one
`population_frame` makes of the facts, column for column.
"""

from __future__ import annotations

from hypothesis import given, settings
from polars.testing import assert_frame_equal

from healthcode.domain.assessment import group_by_person
from healthcode.domain.columnar.frames import population_frame, population_frame_of_records
from healthcode.domain.facts import Fact
from healthcode.exchange.writer import fact_record
from strategies import populations


@settings(max_examples=100, deadline=None)
@given(populations())
def test_records_frame_as_their_facts__A5(facts: list[Fact]) -> None:
    by_person, _ = group_by_person(facts)
    records = {
        person: [fact_record(fact, with_contact=False) for fact in own]
        for person, own in by_person.items()
    }
    expected = population_frame(by_person)
    framed = population_frame_of_records(records)
    assert framed.persons == expected.persons
    assert_frame_equal(framed.facts, expected.facts.select(framed.facts.columns))
    assert sorted(framed.facts.columns) == sorted(expected.facts.columns)

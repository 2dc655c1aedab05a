"""Facts written back as records read back as the same facts (S5): storage relies on it."""

from __future__ import annotations

from hypothesis import given

from builders import march, person
from healthcode.domain.facts import Entry, Fact, Source, Vaccination
from healthcode.exchange import parse_fact
from healthcode.exchange.writer import fact_record, without_contact
from strategies import facts_of_one_person


@given(facts_of_one_person)
def test_written_facts_read_back_unchanged__S5(facts: list[Fact]) -> None:
    for fact in facts:
        assert parse_fact(fact_record(fact)) == fact


@given(facts_of_one_person)
def test_a_record_without_contact_is_the_same_taken_from_the_full_record__S5(
    facts: list[Fact],
) -> None:
    # An import stores the contact-free record it takes from the one its digest was computed on.
    for fact in facts:
        assert without_contact(fact_record(fact)) == fact_record(fact, with_contact=False)


def test_contact_details_are_left_out_on_request__S5() -> None:
    who = person(7)
    detailed = type(who)(who.id_type, who.id_number, "张三", "13812345678", "CHN")
    fact = Fact("v-1", Source.HEALTH, detailed, march(3), Vaccination(2, "灭活疫苗"))
    shown = fact_record(fact)["person"]
    assert isinstance(shown, dict)
    assert set(shown) == {"id_type", "id_number", "name", "phone", "nationality"}
    assert fact_record(fact, with_contact=False)["person"] == {
        "id_type": "resident_id",
        "id_number": who.id_number,
    }
    assert without_contact(fact_record(fact)) == fact_record(fact, with_contact=False)
    entry = Fact("b-1", Source.BORDER, who, march(3), Entry("PVG", "USA"))
    assert parse_fact(fact_record(entry)) == entry

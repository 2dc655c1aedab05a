"""The population register feed (SPEC §1, type `register`): one person per record, with their
household and the phone on record; located errors like every other feed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from healthcode.domain.facts import Source
from healthcode.domain.register import RegisterEntry
from healthcode.exchange.fields import Fields, parse_located
from healthcode.exchange.persons import parse_person

REGISTER_TYPE = "register"


def parse_register_entry(record: Mapping[str, object], location: str = "record") -> RegisterEntry:
    """Validate one register record; raises InvalidRecordError (located at `location`)."""
    return parse_located(_entry, record, location)


def _entry(fields: Fields) -> RegisterEntry:
    event_id = fields.text("event_id")
    source = fields.choice("source", Source)
    if source is not Source.POLICE:
        fields.fail("source", "the population register comes from the police")
    if fields.text("type") != REGISTER_TYPE:
        fields.fail("type", f"a register record has type {REGISTER_TYPE}")
    occurred_at = fields.instant("occurred_at")
    person = parse_person(fields.section("person"), occurred_at)
    if person.name is None:
        fields.fail("person.name", "the register names every person")
    household = fields.text("household", check=_household_problem)
    born = fields.optional_text("born", check=_date_problem)
    return RegisterEntry(
        event_id,
        source,
        person,
        household,
        occurred_at,
        None if born is None else date.fromisoformat(born),
    )


def _household_problem(text: str) -> str | None:
    if not 1 <= len(text) <= 32 or not text.isascii() or not text.isalnum():
        return "must be 1 to 32 letters or digits"
    return None


def _date_problem(text: str) -> str | None:
    try:
        date.fromisoformat(text)
    except ValueError:
        return "must be a date (YYYY-MM-DD)"
    return None

"""Facts back into exchange-format v1 records (SPEC §1): the inverse of `parse_fact`.

Payload fields carry the exchange format's own names, so one generic walk writes every type.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from enum import Enum

from healthcode.domain.facts import Fact, Payload, Person, Retraction

# Payload fields whose exchange name differs: a retraction's `event_id` would clash with the
# record's own.
_EXCHANGE_NAMES: dict[tuple[type[Payload], str], str] = {(Retraction, "event_id"): "retracts"}


def fact_record(fact: Fact, *, with_contact: bool = True) -> dict[str, object]:
    """The record of `fact`; without contact, `person` names only the identity document."""
    record: dict[str, object] = {
        "event_id": fact.event_id,
        "source": fact.source.value,
        "type": fact.type,
        "person": _person(fact.person, with_contact=with_contact),
        "occurred_at": fact.occurred_at.isoformat(),
    }
    for field in fields(fact.payload):
        value = getattr(fact.payload, field.name)
        if value is not None:
            name = _EXCHANGE_NAMES.get((type(fact.payload), field.name), field.name)
            record[name] = _json_value(value)
    return record


def without_contact(record: dict[str, object]) -> dict[str, object]:
    """`fact_record(fact, with_contact=False)` from `fact_record(fact)`, without walking the fact
    again (an import builds both for every fact: its digest, then its stored record)."""
    person = record["person"]
    assert isinstance(person, dict)  # noqa: S101 - every record has one (`fact_record`)
    return {**record, "person": {key: person[key] for key in _IDENTITY}}


_IDENTITY = ("id_type", "id_number")


def _person(person: Person, *, with_contact: bool) -> dict[str, str]:
    shown = {"id_type": person.id_type.value, "id_number": person.id_number}
    if with_contact:
        optional = {"name": person.name, "phone": person.phone, "nationality": person.nationality}
        shown |= {key: value for key, value in optional.items() if value is not None}
    return shown


def _json_value(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_json_value(item) for item in value]
    return value

"""The `person` of a fact: which identity document, and optional contact details (SPEC §1, A8)."""

from __future__ import annotations

from datetime import datetime

from healthcode.domain.facts import Person
from healthcode.domain.identity import (
    IdType,
    id_number_problem,
    name_problem,
    nationality_problem,
    normalise_id_number,
    normalise_phone,
    phone_problem,
    resident_id_birth_date,
)
from healthcode.domain.timezones import CHINA_TIME
from healthcode.exchange.fields import Fields


def parse_person(fields: Fields, occurred_at: datetime) -> Person:
    """Read and validate a person; the ID number is returned in its normalised form."""
    id_type = fields.choice("id_type", IdType)
    id_number = normalise_id_number(id_type, fields.text("id_number"))
    fields.check("id_number", id_number_problem(id_type, id_number))
    if id_type == IdType.RESIDENT_ID:
        _check_born_by(fields, id_number, occurred_at)
    return Person(
        id_type=id_type,
        id_number=id_number,
        name=fields.optional_text("name", check=name_problem),
        phone=_phone(fields),
        nationality=fields.optional_text("nationality", check=nationality_problem),
    )


def _phone(fields: Fields) -> str | None:
    """A department's spelling of a number (+86, spaces) stored in the one form of every other.

    Read once: normalising is the check (`phone_problem` is `normalise_phone` failing), and it is
    on every record of a department file.
    """
    spelled = fields.optional_text("phone")
    if spelled is None:
        return None
    phone = normalise_phone(spelled)
    if phone is None:
        fields.fail("phone", phone_problem(spelled) or "is not a phone number")
    return phone


def _check_born_by(fields: Fields, id_number: str, occurred_at: datetime) -> None:
    # A birth date after the event means the number belongs to someone else: a typo that still
    # passed the check digit, or a record about the wrong person.
    # Birth dates on resident IDs are calendar dates in China.
    born = resident_id_birth_date(id_number)
    if born > occurred_at.astimezone(CHINA_TIME).date():
        fields.fail("id_number", "birth date in the number is after occurred_at")

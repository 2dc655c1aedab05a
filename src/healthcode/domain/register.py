"""The population register (户籍登记, kept by the police): who holds an identity document, under
which name, in which household, and the phone on record.

It is a department feed like the others (SPEC §1, record type `register`); HealthCode reads it for
one purpose only: to know who a person is before anyone is shown their code (A1, S3, D2).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from healthcode.domain.facts import Person, PersonKey, Source
from healthcode.domain.identity import IdType, resident_id_birth_date

# 未成年人: a guardian in the same household may bind them without their own confirmation (S3).
ADULT_AGE: Final = 18


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """One person as the register holds them; a later entry for the same document replaces it."""

    event_id: str
    source: Source
    person: Person  # name required; `phone` is the phone on record, if any
    household: str  # 户号: the household's number in the register
    occurred_at: datetime
    born: date | None = None  # for documents that do not carry a birth date themselves

    @property
    def birth_date(self) -> date | None:
        return birth_date(self.person.key, self.born)


def birth_date(key: PersonKey, born: date | None) -> date | None:
    """A resident ID carries its holder's birth date; other documents rely on the record's."""
    if key.id_type is IdType.RESIDENT_ID:
        return resident_id_birth_date(key.id_number)
    return born


def is_minor(born: date | None, today: date) -> bool:
    """Under 18 on `today`; an unknown birth date is not taken for a minor (no shortcut)."""
    if born is None:
        return False
    birthday_passed = (today.month, today.day) >= (born.month, born.day)
    age = today.year - born.year - (0 if birthday_passed else 1)
    return age < ADULT_AGE


def normalised_name(name: str) -> str:
    """The form names are compared in: full-width folded, spaces and middle dots dropped, case
    folded (passport names), so 'Li  Na' and 'LI NA', '阿卜杜·热合曼' and '阿卜杜•热合曼' match."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(char for char in folded if not char.isspace() and char not in _DOTS)


_DOTS: Final = frozenset("·•‧・.")

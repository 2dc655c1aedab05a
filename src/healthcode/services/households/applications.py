"""Applying for a code (A1, A8, S3): for oneself or on someone's behalf, through any channel.

An application the rules refuse (the international version for a mainland resident) is audited
and refused with `Refused(VERSION_REFUSED)`; nothing else of it is stored. Input that cannot be
used at all (an invalid document number, a proxy without a relationship) raises
`ApplicationError` at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from healthcode.db.people import StoredPerson
from healthcode.domain.applications import (
    Channel,
    Relationship,
    international_by_default,
    international_refusal,
    proxy_problem,
)
from healthcode.domain.facts import Entry, Person
from healthcode.domain.identity import (
    IdType,
    id_number_problem,
    name_problem,
    nationality_problem,
    phone_problem,
    resident_id_birth_date,
)
from healthcode.domain.text import Bilingual
from healthcode.domain.timezones import CHINA_TIME, display_instant
from healthcode.security.pseudonyms import audit_pseudonym
from healthcode.services.evaluation import reevaluate
from healthcode.services.refusals import Refusal, Refused
from healthcode.services.runtime import UnitOfWork
from healthcode.tokens import CodeVersion


class ApplicationError(ValueError):
    """An application that cannot be taken; the message is one line and names no personal data."""


# The reason the domain gives (`international_refusal`), in words for the applicant.
VERSION_REFUSED: Final = Refusal(
    409,
    "version_refused",
    Bilingual(
        "国际版健康码适用于持护照、港澳台通行证或居住证、外国人永久居留身份证的人员，"
        "以及近28天内入境的人员；内地居民身份证持有人请申领国内版。",
        "The international version is for holders of passports, Hong Kong, Macao or Taiwan "
        "permits or residence permits, foreign permanent residence cards, and travellers "
        "who entered in the last 28 days; mainland resident ID holders get the domestic version.",
    ),
    "version",
)


@dataclass(frozen=True, slots=True)
class Application:
    """An application as taken and granted: its id, the persons and the colour."""

    channel: Channel
    version: CodeVersion
    applied_at: datetime
    relationship: Relationship | None = None
    id: int | None = None
    person: StoredPerson | None = None
    applicant: StoredPerson | None = None  # None: the person applied themselves
    colour: str | None = None

    def as_json(self) -> dict[str, Any]:
        """What the applicant is shown: masked forms only (D2)."""
        return {
            "application": self.id,
            "person": _shown(self.person),
            "applicant": _shown(self.applicant),
            "relationship": None if self.relationship is None else self.relationship.value,
            "channel": self.channel.value,
            "version": self.version.value,
            "applied_at": display_instant(self.applied_at),
            "color": self.colour,
            "refusal": None,  # kept in the answer's shape: a refused application raises instead
        }


def apply_for_code(
    uow: UnitOfWork,
    person: Person,
    *,
    channel: Channel,
    applicant: Person | None = None,
    relationship: Relationship | None = None,
    version: CodeVersion | None = None,
) -> Application:
    """Take an application for `person`, made by `applicant` on their behalf or by themselves.

    Both persons are stored if they are new (facts about them may come later). A person without a
    code gets one now (green unless facts on file say otherwise). The audit entry names the
    applicant, so a proxy answers for what they did (D2).
    """
    check_person(person, "person", uow.now)
    if applicant is not None:
        check_person(applicant, "applicant", uow.now)
    problem = proxy_problem(person.key, None if applicant is None else applicant.key, relationship)
    if problem is not None:
        raise ApplicationError(problem)
    wanted = version or default_version(person.id_type)
    request = _Request(person, applicant, relationship, channel, wanted)
    stored = uow.people.find(person.key)
    if _version_refusal(uow, person, stored, wanted) is not None:
        _audit(uow, request, outcome="refused")
        raise Refused(VERSION_REFUSED)
    return _take(uow, request, stored)


@dataclass(frozen=True, slots=True)
class _Request:
    person: Person
    applicant: Person | None
    relationship: Relationship | None
    channel: Channel
    version: CodeVersion


def _take(uow: UnitOfWork, request: _Request, stored: StoredPerson | None) -> Application:
    person, applicant, relationship = request.person, request.applicant, request.relationship
    person_id = stored.id if stored is not None else uow.people.add(person, uow.now)
    number = uow.applications.add(
        person_id,
        None if applicant is None else _stored_id(uow, applicant),
        None if relationship is None else relationship.value,
        request.channel.value,
        request.version.value,
        uow.now,
    )
    colour = _ensure_code(uow, person_id, number)
    _audit(uow, request, outcome="ok")
    return Application(
        request.channel,
        request.version,
        uow.now,
        relationship,
        id=number,
        person=uow.people.find(person.key),
        applicant=None if applicant is None else uow.people.find(applicant.key),
        colour=colour,
    )


def default_version(id_type: IdType) -> CodeVersion:
    """The version a person gets unless they choose: see `international_by_default` (A8)."""
    if international_by_default(id_type):
        return CodeVersion.INTERNATIONAL
    return CodeVersion.DOMESTIC


def _version_refusal(
    uow: UnitOfWork, person: Person, stored: StoredPerson | None, wanted: CodeVersion
) -> str | None:
    """The domestic version is open to everyone; the international one as A8 says."""
    if wanted is CodeVersion.DOMESTIC:
        return None
    return international_refusal(person.key, _last_entry(uow, stored), uow.now)


def _last_entry(uow: UnitOfWork, stored: StoredPerson | None) -> datetime | None:
    if stored is None or stored.id_type is not IdType.RESIDENT_ID:
        return None  # only a resident ID holder needs a recent entry to choose international
    facts = uow.facts.of_persons([stored.id]).get(stored.id, [])
    entries = [
        fact.occurred_at
        for fact in facts
        if isinstance(fact.payload, Entry) and fact.occurred_at <= uow.now
    ]
    return max(entries, default=None)


def _stored_id(uow: UnitOfWork, person: Person) -> str:
    known = uow.people.ids_for([person.key])
    return known.get(person.key) or uow.people.add(person, uow.now)


def _ensure_code(uow: UnitOfWork, person_id: str, application: int) -> str:
    """The person's colour; a person without a code state gets one, evaluated now."""
    state = uow.states.get_many([person_id]).get(person_id)
    if state is None:
        reevaluate(uow, {person_id: f"application:{application}"}, cause="application")
        state = uow.states.get_many([person_id])[person_id]
    return state.colour


def _audit(uow: UnitOfWork, request: _Request, outcome: str) -> None:
    vault = uow.runtime.vault
    subject = audit_pseudonym(vault, "person", _index_value(request.person))
    actor = (
        subject
        if request.applicant is None
        else audit_pseudonym(vault, "person", _index_value(request.applicant))
    )
    relationship = "self" if request.relationship is None else request.relationship.value
    detail = (
        f"for={subject} relationship={relationship} "
        f"channel={request.channel.value} version={request.version.value}"
    )
    uow.audit("code.apply", actor, outcome=outcome, detail=detail)


def _index_value(person: Person) -> str:
    return f"{person.id_type.value}:{person.id_number}"


def check_person(person: Person, role: str, now: datetime) -> None:
    """Validate a person named in an application; reasons never repeat the values (D2)."""
    checks = [
        ("id_number", id_number_problem(person.id_type, person.id_number)),
        ("name", None if person.name is None else name_problem(person.name)),
        ("phone", None if person.phone is None else phone_problem(person.phone)),
        (
            "nationality",
            None if person.nationality is None else nationality_problem(person.nationality),
        ),
    ]
    for field, problem in checks:
        if problem is not None:
            raise ApplicationError(f"{role} {field}: {problem}")
    if person.id_type is IdType.RESIDENT_ID:
        born = resident_id_birth_date(person.id_number)
        if born > now.astimezone(CHINA_TIME).date():
            raise ApplicationError(f"{role} id_number: the birth date in it is in the future")


def _shown(person: StoredPerson | None) -> dict[str, str | None] | None:
    if person is None:
        return None
    return {
        "id_type": person.id_type.value,
        "id_number": person.id_number_masked,
        "name": person.name_masked,
    }

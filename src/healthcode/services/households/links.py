"""Whose codes a resident account may show (A1, A8, S3): the holder and family bound with consent.

A family member's link records what they are to the holder and how consent was given; the holder
applies on their behalf and answers for it (D2). `person_for` is the object-level check every
resident route makes: a person not linked to the account is not there at all (no probing by id).
A link that is not made raises `Refused` (`households/refusals.py`), audited where it matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, NoReturn

from healthcode.db.accounts_store import HouseholdLink, ResidentStore
from healthcode.db.people import StoredPerson
from healthcode.domain.applications import Channel, Relationship
from healthcode.domain.facts import Person, PersonKey
from healthcode.security.pseudonyms import audit_pseudonym
from healthcode.services.households.applications import (
    Application,
    ApplicationError,
    apply_for_code,
)
from healthcode.services.households.refusals import (
    CANNOT_UNBIND_SELF,
    CONSENT_REQUIRED,
    IS_SELF,
    MAX_FAMILY,
    NOT_LINKED,
    SELF_BOUND,
    SELF_ELSEWHERE,
    SELF_FIRST,
    TOO_MANY,
    invalid_application,
)
from healthcode.services.refusals import Refusal, Refused
from healthcode.services.runtime import UnitOfWork
from healthcode.tokens import CodeVersion

SELF: Final = "self"
CONSENT_SELF: Final = "self"
# The proxy declares, on the form, that the member agreed (A8: recorded with the link).
CONSENT_DECLARED: Final = "declared_by_proxy"


class FamilyMember(StrEnum):
    """What a family member is to the account holder (the link's own direction)."""

    PARENT = "parent"
    CHILD = "child"
    SPOUSE = "spouse"
    SIBLING = "sibling"
    GRANDPARENT = "grandparent"
    GRANDCHILD = "grandchild"
    WARD = "ward"  # someone under the holder's guardianship
    OTHER = "other"

    @property
    def applicant_is(self) -> Relationship:
        """What the holder is to the member: the direction an application records (A1)."""
        return _APPLICANT_IS[self]


_APPLICANT_IS: Final = {
    FamilyMember.PARENT: Relationship.CHILD,
    FamilyMember.CHILD: Relationship.PARENT,
    FamilyMember.SPOUSE: Relationship.SPOUSE,
    FamilyMember.SIBLING: Relationship.SIBLING,
    FamilyMember.GRANDPARENT: Relationship.GRANDCHILD,
    FamilyMember.GRANDCHILD: Relationship.GRANDPARENT,
    FamilyMember.WARD: Relationship.GUARDIAN,
    FamilyMember.OTHER: Relationship.OTHER,
}


@dataclass(frozen=True, slots=True)
class LinkedPerson:
    person_id: str
    relationship: str  # SELF or a FamilyMember value
    person: StoredPerson
    linked_at: datetime
    colour: str | None

    @property
    def is_self(self) -> bool:
        return self.relationship == SELF


@dataclass(frozen=True, slots=True)
class AccountApplication:
    application: Application
    person_id: str
    refusal: Refusal | None = None


def people_of(uow: UnitOfWork, account_id: str) -> list[LinkedPerson]:
    """The holder first, then family members in the order they were bound (reads audited)."""
    links = uow.residents.links(account_id)
    people = uow.people.by_ids(link.person_id for link in links)
    states = uow.states.get_many(people)
    linked = [
        LinkedPerson(
            link.person_id,
            link.relationship,
            people[link.person_id],
            link.linked_at,
            None if link.person_id not in states else states[link.person_id].colour,
        )
        for link in links
        if link.person_id in people
    ]
    uow.audit("household.list", f"account:{account_id}", detail=f"persons={len(linked)}")
    return sorted(linked, key=lambda person: not person.is_self)


def person_for(uow: UnitOfWork, account_id: str, person_id: str) -> LinkedPerson | None:
    """The person if linked to this account, else None (the caller answers 404, never 403)."""
    found = next((p for p in people_of(uow, account_id) if p.person_id == person_id), None)
    if found is None:  # a stale link or a probe: either way worth a line in the audit log
        uow.audit("household.person", f"account:{account_id}", outcome="not_found")
    return found


def person_pseudonym(uow: UnitOfWork, linked: LinkedPerson) -> str:
    """How audit entries name a linked person: the same pseudonym every use case uses."""
    return _pseudonym(uow, key_for(uow, linked))


def key_for(uow: UnitOfWork, linked: LinkedPerson) -> PersonKey:
    return _key(uow, linked.person_id)


def _key(uow: UnitOfWork, person_id: str) -> PersonKey:
    key = uow.people.key_of(person_id)
    if key is None:  # the link's foreign key keeps the person; only a broken database gets here
        raise LookupError("a linked person is missing")
    return key


def apply_for_account(
    uow: UnitOfWork,
    account_id: str,
    person: Person,
    *,
    member: FamilyMember | None,
    consent: bool = False,
    version: CodeVersion | None = None,
    channel: Channel = Channel.WEB,
) -> AccountApplication:
    """Apply for the holder (`member` None) or a family member, and link the person."""
    store = uow.residents
    own = next((link for link in store.links(account_id) if link.relationship == SELF), None)
    if member is None:
        return _apply_for_self(uow, store, account_id, person, own, version, channel)
    refusal = _family_refusal(uow, store, account_id, person, own, consent)
    if refusal is not None or own is None:
        raise Refused(refusal or SELF_FIRST)
    applicant = Person(*_key(uow, own.person_id))
    try:
        taken = apply_for_code(
            uow,
            person,
            channel=channel,
            applicant=applicant,
            relationship=member.applicant_is,
            version=version,
        )
    except ApplicationError as error:
        raise Refused(invalid_application(error)) from None
    return _linked(uow, store, account_id, taken, member.value, CONSENT_DECLARED)


def unbind(uow: UnitOfWork, account_id: str, person_id: str) -> None:
    """Unbind a family member; the holder's own link stays (their account is theirs)."""
    linked = person_for(uow, account_id, person_id)
    if linked is None:
        raise Refused(NOT_LINKED)
    if linked.is_self:
        raise Refused(CANNOT_UNBIND_SELF)
    uow.residents.unlink(account_id, person_id, uow.now)
    uow.audit(
        "household.unlink",
        _pseudonym(uow, key_for(uow, linked)),
        detail=f"account={account_id} relationship={linked.relationship}",
    )


def _apply_for_self(
    uow: UnitOfWork,
    store: ResidentStore,
    account_id: str,
    person: Person,
    own: HouseholdLink | None,
    version: CodeVersion | None,
    channel: Channel,
) -> AccountApplication:
    known = uow.people.ids_for([person.key]).get(person.key)
    if own is not None and own.person_id != known:
        _refuse(uow, person, SELF_BOUND)
    if known is not None and store.self_account_of(known) not in {None, account_id}:
        _refuse(uow, person, SELF_ELSEWHERE)
    try:
        taken = apply_for_code(uow, person, channel=channel, version=version)
    except ApplicationError as error:
        raise Refused(invalid_application(error)) from None
    return _linked(uow, store, account_id, taken, SELF, CONSENT_SELF)


def _family_refusal(
    uow: UnitOfWork,
    store: ResidentStore,
    account_id: str,
    person: Person,
    own: HouseholdLink | None,
    consent: bool,
) -> Refusal | None:
    if not consent:
        return CONSENT_REQUIRED
    if own is None:
        return SELF_FIRST
    known = uow.people.ids_for([person.key]).get(person.key)
    if known == own.person_id:
        return IS_SELF
    family = [link for link in store.links(account_id) if link.relationship != SELF]
    if known not in {link.person_id for link in family} and len(family) >= MAX_FAMILY:
        return TOO_MANY
    return None


def _linked(
    uow: UnitOfWork,
    store: ResidentStore,
    account_id: str,
    taken: Application,
    relationship: str,
    consent: str,
) -> AccountApplication:
    """Link the person the application was for, unless they are linked already."""
    if taken.person is None:
        raise LookupError("a granted application names no person")
    person_id = taken.person.id
    if person_id not in {link.person_id for link in store.links(account_id)}:
        store.link(HouseholdLink(account_id, person_id, relationship, consent, uow.now))
        target = _pseudonym(uow, _key(uow, person_id))
        detail = f"account={account_id} relationship={relationship} consent={consent}"
        uow.audit("household.link", target, detail=detail)
    return AccountApplication(application=taken, person_id=person_id)


def _refuse(uow: UnitOfWork, person: Person, refusal: Refusal) -> NoReturn:
    uow.audit("household.link", _pseudonym(uow, person.key), outcome="refused", detail=refusal.code)
    raise Refused(refusal)


def _pseudonym(uow: UnitOfWork, key: PersonKey) -> str:
    return audit_pseudonym(uow.runtime.vault, "person", f"{key.id_type.value}:{key.id_number}")

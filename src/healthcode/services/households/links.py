"""Whose codes a resident account may show (A1, A8, S3): the holder and family bound with consent.

A family member's link records what they are to the holder and how consent was given; the holder
applies on their behalf and answers for it (D2). `person_for` is the object-level check every
resident route makes: a person not linked to the account is not there at all (no probing by id).
A link that is not made raises `Refused` (`households/refusals.py`), audited where it matters.
Links are made only once the person is known to be who they were said to be (`binding.py`); a
person can see and end every binding of themselves made by another account (`bound_by`, D2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, NoReturn

from healthcode.db.accounts_store import HouseholdLink, ResidentStore
from healthcode.db.people import StoredPerson, id_number_context
from healthcode.db.states import StoredState
from healthcode.domain.applications import Relationship
from healthcode.domain.facts import Person, PersonKey
from healthcode.domain.identity import mask_phone
from healthcode.services.audit_targets import person_target
from healthcode.services.households.applications import Application
from healthcode.services.households.refusals import CANNOT_UNBIND_SELF, NOT_LINKED
from healthcode.services.refusals import Refusal, Refused
from healthcode.services.runtime import UnitOfWork

SELF: Final = "self"
CONSENT_SELF: Final = "self"
# The proxy declares, on the form, that the member agreed (A8: recorded with the link); since
# issue #11 the link also records how the person was proven to be who the proxy said (`binding`).
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
    # Read with the link in one statement, so that showing the code reads none of it again
    # (ADR 0022); the document number stays sealed until `key_for` needs it.
    state: StoredState | None
    id_number_sealed: bytes
    applied_version: str | None

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
    linked = [
        LinkedPerson(
            member.link.person_id,
            member.link.relationship,
            member.person,
            member.link.linked_at,
            None if member.state is None else member.state.colour,
            member.state,
            member.id_number_sealed,
            member.applied_version,
        )
        for member in uow.residents.household(account_id)
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
    return person_target(uow, key_for(uow, linked))


def key_for(uow: UnitOfWork, linked: LinkedPerson) -> PersonKey:
    """The linked person's identity document, opened from what was read with the link."""
    number = uow.runtime.vault.open_text(
        linked.id_number_sealed, id_number_context(linked.person_id)
    )
    return PersonKey(linked.person.id_type, number)


def _key(uow: UnitOfWork, person_id: str) -> PersonKey:
    key = uow.people.key_of(person_id)
    if key is None:  # the link's foreign key keeps the person; only a broken database gets here
        raise LookupError("a linked person is missing")
    return key


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
        person_target(uow, key_for(uow, linked)),
        detail=f"account={account_id} relationship={linked.relationship}",
    )


@dataclass(frozen=True, slots=True)
class BoundBy:
    """Another account that shows this person's code: what it is to them, since when."""

    link_id: int
    relationship: str
    linked_at: datetime
    account_phone_masked: str | None


def bound_by(uow: UnitOfWork, account_id: str) -> list[BoundBy]:
    """The other accounts bound to the holder of `account_id` (their own person); audited."""
    own = _own_person(uow, account_id)
    links = [] if own is None else uow.residents.bound_by_others(own)
    shown = [
        BoundBy(link.id or 0, link.relationship, link.linked_at, _masked_phone(uow, link))
        for link in links
    ]
    uow.audit("household.bound-by", f"account:{account_id}", detail=f"links={len(shown)}")
    return shown


def end_binding(uow: UnitOfWork, account_id: str, link_id: int) -> None:
    """The bound person ends another account's binding of them (D2): that account's view of their
    code ends at once. A link that is not of this holder is not there (404)."""
    own = _own_person(uow, account_id)
    links = [] if own is None else uow.residents.bound_by_others(own)
    link = next((link for link in links if link.id == link_id), None)
    if own is None or link is None:
        uow.audit("household.end-binding", f"account:{account_id}", outcome="not_found")
        raise Refused(NOT_LINKED)
    uow.residents.unlink_by_id(link_id, uow.now)
    uow.audit(
        "household.unlink",
        person_target(uow, _key(uow, own)),
        detail=f"account={link.account_id} relationship={link.relationship} by=person",
    )


def _own_person(uow: UnitOfWork, account_id: str) -> str | None:
    links = uow.residents.links(account_id)
    return next((link.person_id for link in links if link.relationship == SELF), None)


def _masked_phone(uow: UnitOfWork, link: HouseholdLink) -> str | None:
    phone = uow.residents.phone(link.account_id)
    return None if phone is None else mask_phone(phone)


def link_person(
    uow: UnitOfWork,
    store: ResidentStore,
    account_id: str,
    taken: Application,
    relationship: str,
    consent: str,
) -> tuple[AccountApplication, bool]:
    """Link the person the application was for, unless they are linked already; True if new."""
    if taken.person is None:
        raise LookupError("a granted application names no person")
    person_id = taken.person.id
    new = person_id not in {link.person_id for link in store.links(account_id)}
    if new:
        store.link(HouseholdLink(account_id, person_id, relationship, consent, uow.now))
        target = person_target(uow, _key(uow, person_id))
        detail = f"account={account_id} relationship={relationship} consent={consent}"
        uow.audit("household.link", target, detail=detail)
    return AccountApplication(application=taken, person_id=person_id), new


def refuse_link(uow: UnitOfWork, person: Person, refusal: Refusal) -> NoReturn:
    target = person_target(uow, person.key)
    uow.audit("household.link", target, outcome="refused", detail=refusal.code)
    raise Refused(refusal)

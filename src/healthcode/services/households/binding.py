"""Identity before any code is shown (issue #11; A1, S3, D2): who may bind whom to an account.

- *Self*: the name must match the population register and the signed-in phone must be the phone on
  record; otherwise a code goes to the phone on record, and the binding waits for it.
- *Another person*: the name must match, and then the person confirms with a code sent to their
  phone on record; or the register shows them in the applicant's household and they are a minor or
  have no phone on record (bound at once); or staff check the document in person (工作人员代查).

Until then the binding is pending and shows nothing of the person. Every answer an unverified
caller gets is the same pending answer, whether the document is unknown, the name wrong or the
person known (ADR 0009). The person is texted when a binding of them is made (`bound_by` lists
them, `end_binding` ends one).
"""

from __future__ import annotations

import hmac
from typing import Any

from healthcode.db.accounts_store import HouseholdLink
from healthcode.db.register_store import RegisteredPerson
from healthcode.domain.applications import Channel
from healthcode.domain.facts import Person, PersonKey
from healthcode.domain.identity import IdType, mask_phone
from healthcode.domain.register import is_minor
from healthcode.domain.timezones import CHINA_TIME
from healthcode.services.audit_targets import person_target
from healthcode.services.households.applications import (
    ApplicationError,
    apply_for_code,
    check_person,
)
from healthcode.services.households.links import (
    CONSENT_SELF,
    SELF,
    AccountApplication,
    FamilyMember,
    link_person,
    refuse_link,
)
from healthcode.services.households.notices import bound_message
from healthcode.services.households.pending import (
    PendingBinding,
    checked_by_code,
    checked_in_person,
    start_pending,
)
from healthcode.services.households.refusals import (
    CONSENT_REQUIRED,
    IS_SELF,
    MAX_FAMILY,
    SELF_BOUND,
    SELF_ELSEWHERE,
    SELF_FIRST,
    TOO_MANY,
    invalid_application,
)
from healthcode.services.households.register import RECORDED, PopulationRegister
from healthcode.services.messages import MessageSender, SenderUnavailableError
from healthcode.services.refusals import Refusal, Refused
from healthcode.services.runtime import UnitOfWork
from healthcode.tokens import CodeVersion

# How a family member's link was proven, kept with the link (S3, D2).
BY_CODE = "person_confirmed_code"
BY_HOUSEHOLD = "declared_same_household"
BY_STAFF = "declared_checked_in_person"


def apply_for_account(
    uow: UnitOfWork,
    account_id: str,
    person: Person,
    *,
    member: FamilyMember | None,
    consent: bool = False,
    version: CodeVersion | None = None,
    channel: Channel = Channel.WEB,
    sender: MessageSender | None = None,
    register: PopulationRegister = RECORDED,
) -> AccountApplication | PendingBinding:
    """Bind `person` to the account (the holder, or a family member) once proven; else pending."""
    try:
        check_person(person, "person", uow.now)
    except ApplicationError as error:
        raise Refused(invalid_application(error)) from None
    request = _request(person, member, consent, version, channel)
    own = _own(uow, account_id)
    if member is None:
        return _for_self(uow, sender, register, account_id, person, own, request)
    refusal = _family_refusal(uow, account_id, person, own, consent)
    if refusal is not None or own is None:
        raise Refused(refusal or SELF_FIRST)
    found = register.matching(uow, person.key, person.name or "")
    # Asked whatever the answer above: the work does not depend on whether the person is there.
    household = register.household_of(uow, _key(uow, own.person_id))
    if found is not None and _household_may_bind(uow, household, found):
        return _grant(uow, sender, register, account_id, request, BY_HOUSEHOLD)
    return start_pending(uow, sender, account_id, request, person.key, _phone(found))


def confirm_by_code(
    uow: UnitOfWork,
    sender: MessageSender | None,
    account_id: str,
    reference: str,
    code: str,
    register: PopulationRegister = RECORDED,
) -> AccountApplication:
    """Complete a pending binding with the code the phone on record received."""
    pending = checked_by_code(uow, account_id, reference, code)
    taken = _grant(uow, sender, register, account_id, pending.request, BY_CODE)
    uow.pending_links.complete(pending.id, "code", uow.now)
    return taken


def confirm_in_person(
    uow: UnitOfWork,
    sender: MessageSender | None,
    reference: str,
    document: PersonKey,
    name: str,
    register: PopulationRegister = RECORDED,
) -> AccountApplication:
    """Staff at a service point saw the identity document (S3 工作人员代查); the audit entry of
    the unit of work names them as the actor."""
    pending = checked_in_person(uow, reference, document, name)
    taken = _grant(uow, sender, register, pending.account_id, pending.request, BY_STAFF)
    uow.pending_links.complete(pending.id, "in_person", uow.now)
    uow.audit(
        "household.check-in-person",
        person_target(uow, document),
        detail=f"reference={pending.reference} account={pending.account_id}",
    )
    return taken


def pending_of(uow: UnitOfWork, account_id: str) -> list[PendingBinding]:
    """The account's bindings still waiting: references only, nothing of the persons."""
    waiting = uow.pending_links.of_account(account_id, uow.now)
    return [PendingBinding(p.reference, p.relationship, p.expires_at) for p in waiting]


def _for_self(
    uow: UnitOfWork,
    sender: MessageSender | None,
    register: PopulationRegister,
    account_id: str,
    person: Person,
    own: HouseholdLink | None,
    request: dict[str, Any],
) -> AccountApplication | PendingBinding:
    if own is not None:
        if uow.people.key_of(own.person_id) != person.key:
            refuse_link(uow, person, SELF_BOUND)
        return _grant(uow, sender, register, account_id, request, CONSENT_SELF)
    if len(uow.pending_links.of_account(account_id, uow.now)) >= MAX_FAMILY:
        raise Refused(TOO_MANY)
    found = register.matching(uow, person.key, person.name or "")
    signed_in = uow.residents.phone_index_of(account_id) or b""
    on_record = (found.phone_index if found else None) or bytes(32)
    if found is not None and found.phone_index and hmac.compare_digest(on_record, signed_in):
        return _grant(uow, sender, register, account_id, request, CONSENT_SELF)
    return start_pending(uow, sender, account_id, request, person.key, _phone(found))


def _grant(
    uow: UnitOfWork,
    sender: MessageSender | None,
    register: PopulationRegister,
    account_id: str,
    request: dict[str, Any],
    proof: str,
) -> AccountApplication:
    """Apply and link a proven person; text them if a phone on record is not the account's."""
    person = _person(request)
    store = uow.residents
    own = _own(uow, account_id)
    member = None if request["relationship"] == SELF else FamilyMember(request["relationship"])
    version = None if request["version"] is None else CodeVersion(request["version"])
    channel = Channel(request["channel"])
    if member is None:
        _check_self(uow, account_id, person, own)
        applicant, relationship, consent = None, None, CONSENT_SELF
    else:
        refusal = _family_refusal(uow, account_id, person, own, consent=True, pending_ok=True)
        if refusal is not None or own is None:
            raise Refused(refusal or SELF_FIRST)
        applicant = Person(*_key(uow, own.person_id))
        relationship, consent = member.applicant_is, proof
    try:
        taken = apply_for_code(
            uow, person, channel=channel, applicant=applicant, relationship=relationship,
            version=version,
        )  # fmt: skip
    except ApplicationError as error:
        raise Refused(invalid_application(error)) from None
    linked, new = link_person(uow, store, account_id, taken, request["relationship"], consent)
    if new:
        _tell(uow, sender, register, account_id, person)
    return linked


def _check_self(
    uow: UnitOfWork, account_id: str, person: Person, own: HouseholdLink | None
) -> None:
    """Only a proven holder gets here, so telling them about another account is safe."""
    if own is not None and uow.people.key_of(own.person_id) != person.key:
        refuse_link(uow, person, SELF_BOUND)
    known = uow.people.ids_for([person.key]).get(person.key)
    if known is not None and uow.residents.self_account_of(known) not in {None, account_id}:
        refuse_link(uow, person, SELF_ELSEWHERE)


def _tell(
    uow: UnitOfWork,
    sender: MessageSender | None,
    register: PopulationRegister,
    account_id: str,
    person: Person,
) -> None:
    """Text the phone on record that an account now shows this person's code (D2)."""
    found = register.matching(uow, person.key, person.name or "")
    phone = _phone(found)
    if (
        found is None
        or phone is None
        or found.phone_index == uow.residents.phone_index_of(account_id)
    ):
        return  # nobody to tell, or the person bound themselves from that very phone
    account_phone = uow.residents.phone(account_id)
    message = bound_message(None if account_phone is None else mask_phone(account_phone))
    target = person_target(uow, person.key)
    try:
        if sender is None:
            raise SenderUnavailableError
        sender.send(uow, phone, message)
    except SenderUnavailableError:
        uow.audit("household.notice", target, outcome="unsent", detail=f"account={account_id}")
        return
    uow.audit("household.notice", target, detail=f"account={account_id}")


def _household_may_bind(uow: UnitOfWork, household: bytes | None, found: RegisteredPerson) -> bool:
    """Same 户 in the register, and the person a minor or without a phone to confirm with."""
    same = household is not None and hmac.compare_digest(household, found.household_index)
    today = uow.now.astimezone(CHINA_TIME).date()
    return same and (found.phone is None or is_minor(found.born, today))


def _family_refusal(
    uow: UnitOfWork,
    account_id: str,
    person: Person,
    own: HouseholdLink | None,
    consent: bool,
    pending_ok: bool = False,
) -> Refusal | None:
    if not consent:
        return CONSENT_REQUIRED
    if own is None:
        return SELF_FIRST
    known = uow.people.ids_for([person.key]).get(person.key)
    if uow.people.key_of(own.person_id) == person.key:
        return IS_SELF
    family = [link for link in uow.residents.links(account_id) if link.relationship != SELF]
    waiting = 0 if pending_ok else len(uow.pending_links.of_account(account_id, uow.now))
    if known not in {link.person_id for link in family} and len(family) + waiting >= MAX_FAMILY:
        return TOO_MANY
    return None


def _own(uow: UnitOfWork, account_id: str) -> HouseholdLink | None:
    return next(
        (link for link in uow.residents.links(account_id) if link.relationship == SELF), None
    )


def _key(uow: UnitOfWork, person_id: str) -> PersonKey:
    key = uow.people.key_of(person_id)
    if key is None:  # the link's foreign key keeps the person; only a broken database gets here
        raise LookupError("a linked person is missing")
    return key


def _phone(found: RegisteredPerson | None) -> str | None:
    return None if found is None else found.phone


def _request(
    person: Person,
    member: FamilyMember | None,
    consent: bool,
    version: CodeVersion | None,
    channel: Channel,
) -> dict[str, Any]:
    """The application as asked for, to be sealed while it waits."""
    return {
        "relationship": SELF if member is None else member.value,
        "id_type": person.id_type.value,
        "id_number": person.id_number,
        "name": person.name,
        "phone": person.phone,
        "nationality": person.nationality,
        "consent": consent,
        "version": None if version is None else version.value,
        "channel": channel.value,
    }


def _person(request: dict[str, Any]) -> Person:
    return Person(
        IdType(request["id_type"]),
        request["id_number"],
        name=request["name"],
        phone=request["phone"],
        nationality=request["nationality"],
    )

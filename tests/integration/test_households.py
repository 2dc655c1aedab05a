"""Households (A1, A8, S3, D2): binding family members with consent, on both databases."""

from __future__ import annotations

from sqlalchemy import select

from builders import ManualClock, on_register, operator, refusal_of, resident_id
from healthcode.db.accounts_store import ResidentStore
from healthcode.db.schema import applications, audit_log, household_links, pending_links
from healthcode.domain.facts import Person
from healthcode.domain.identity import IdType
from healthcode.services.households.binding import (
    BY_CODE,
    BY_HOUSEHOLD,
    BY_STAFF,
    apply_for_account,
    confirm_by_code,
    confirm_in_person,
    pending_of,
)
from healthcode.services.households.links import (
    AccountApplication,
    FamilyMember,
    people_of,
    person_for,
    unbind,
)
from healthcode.services.households.pending import PENDING_VALIDITY, PendingBinding
from healthcode.services.households.refusals import (
    CONSENT_REQUIRED,
    MAX_FAMILY,
    NOT_LINKED,
    SELF_FIRST,
    TOO_MANY,
)
from healthcode.services.messages import OutboxSender
from healthcode.services.refusals import Refusal
from healthcode.services.runtime import Runtime
from healthcode.services.scheduled_round import run_round

HOLDER = Person(IdType.RESIDENT_ID, resident_id(birth="19800101", seq="201"), "赵大山")
MOTHER = Person(IdType.RESIDENT_ID, resident_id(birth="19500101", seq="202"), "钱秀英")


def account(runtime: Runtime, phone: str, holder: Person = HOLDER) -> str:
    """An account signed in with `phone`, the phone the register has for `holder`; the holder's
    household (the mother too, without a phone) is on the register."""
    account_id = f"account-{phone}"
    with runtime.unit_of_work(operator("resident")) as uow:
        ResidentStore(uow.connection, runtime.vault).add(account_id, phone, uow.now)
        on_register(uow, holder, phone=phone)
        on_register(uow, MOTHER)
    return account_id


APPLYING = operator("resident", "apply for a health code")


def take(
    runtime: Runtime,
    account_id: str,
    person: Person,
    member: FamilyMember | None = None,
    consent: bool = True,
) -> AccountApplication:
    with runtime.unit_of_work(APPLYING) as uow:
        taken = apply_for_account(uow, account_id, person, member=member, consent=consent)
    assert isinstance(taken, AccountApplication), taken
    return taken


def refused(
    runtime: Runtime, account_id: str, person: Person, member: FamilyMember, consent: bool = True
) -> Refusal:
    return refusal_of(
        runtime,
        APPLYING,
        lambda uow: apply_for_account(uow, account_id, person, member=member, consent=consent),
    )


def test_holder_and_mother_are_linked_with_consent_recorded__A1_A8_S3(runtime: Runtime) -> None:
    holder = account(runtime, "13900000101")
    own = take(runtime, holder, HOLDER).person_id
    mother = take(runtime, holder, MOTHER, FamilyMember.PARENT).person_id
    with runtime.unit_of_work(operator("resident")) as uow:
        people = people_of(uow, holder)
        links = uow.connection.execute(select(household_links).order_by(household_links.c.id))
        rows = [(row.person_id, row.relationship, row.consent) for row in links]
        applied = uow.connection.execute(select(applications.c.relationship)).scalars().all()
    assert [(p.person_id, p.relationship, p.colour) for p in people] == [
        (own, "self", "green"),
        (mother, "parent", "green"),
    ]
    assert rows == [(own, "self", "self"), (mother, "parent", BY_HOUSEHOLD)]
    # The application records what the applicant is to the person: the mother's child.
    assert list(applied) == [None, "child"]
    assert people[1].person.name_masked != MOTHER.name


def test_refusals_link_nobody__S3(runtime: Runtime) -> None:
    holder = account(runtime, "13900000102")
    assert refused(runtime, holder, MOTHER, FamilyMember.PARENT) == SELF_FIRST
    take(runtime, holder, HOLDER)
    assert refused(runtime, holder, MOTHER, FamilyMember.PARENT, consent=False) == CONSENT_REQUIRED
    with runtime.unit_of_work(operator("resident")) as uow:
        assert [p.relationship for p in people_of(uow, holder)] == ["self"]


def test_a_household_has_a_cap__S3(runtime: Runtime) -> None:
    holder = account(runtime, "13900000103")
    take(runtime, holder, HOLDER)
    for number in range(MAX_FAMILY):
        number_ = resident_id(birth="19600101", seq=f"{300 + number}")
        member = Person(IdType.RESIDENT_ID, number_, "孙老")
        with runtime.unit_of_work(APPLYING) as uow:
            on_register(uow, member)
        assert take(runtime, holder, member, FamilyMember.OTHER).person_id
    extra = Person(IdType.RESIDENT_ID, resident_id(birth="19600101", seq="399"), "孙老")
    assert refused(runtime, holder, extra, FamilyMember.OTHER) == TOO_MANY


def test_person_for_sees_only_the_account_s_own_people__D2(runtime: Runtime) -> None:
    holder, stranger = account(runtime, "13900000104"), account(runtime, "13900000105")
    take(runtime, holder, HOLDER)
    mother = take(runtime, holder, MOTHER, FamilyMember.PARENT).person_id
    assert mother is not None
    with runtime.unit_of_work(operator("resident")) as uow:
        assert person_for(uow, holder, mother) is not None
        assert person_for(uow, stranger, mother) is None
    assert refusal_of(runtime, operator("resident"), lambda uow: unbind(uow, stranger, mother)) == (
        NOT_LINKED
    )
    with runtime.unit_of_work(operator("resident")) as uow:
        unbind(uow, holder, mother)
        assert person_for(uow, holder, mother) is None
        outcomes = uow.connection.execute(
            select(audit_log.c.action, audit_log.c.outcome, audit_log.c.object)
        ).all()
    assert ("household.person", "not_found") in {(a, o) for a, o, _ in outcomes}
    unlinked = [obj for action, _, obj in outcomes if action == "household.unlink"]
    assert len(unlinked) == 1
    assert unlinked[0].startswith("person:")
    assert all(MOTHER.id_number not in str(row) for row in outcomes)


def test_two_children_may_both_bind_their_mother__S3(runtime: Runtime) -> None:
    sibling = Person(IdType.RESIDENT_ID, resident_id(birth="19820101", seq="203"), "赵小山")
    first = account(runtime, "13900000106")
    second = account(runtime, "13900000107", sibling)
    take(runtime, first, HOLDER)
    take(runtime, second, sibling)
    one = take(runtime, first, MOTHER, FamilyMember.PARENT).person_id
    two = take(runtime, second, MOTHER, FamilyMember.PARENT).person_id
    assert one == two is not None


def test_a_pending_binding_completes_by_code_or_in_person_on_both_databases__S3_D2(
    runtime: Runtime,
) -> None:
    holder = account(runtime, "13900000108")
    take(runtime, holder, HOLDER)
    cousin = Person(IdType.RESIDENT_ID, resident_id(birth="19850101", seq="204"), "李表哥")
    visitor = Person(IdType.PASSPORT, "E98765432", "Marie Curie")  # not on the register
    with runtime.unit_of_work(APPLYING) as uow:
        on_register(uow, cousin, "H0002", "13900000199")
        by_code = apply_for_account(
            uow, holder, cousin, member=FamilyMember.OTHER, consent=True, sender=OutboxSender()
        )
        in_person = apply_for_account(uow, holder, visitor, member=FamilyMember.OTHER, consent=True)
    assert isinstance(by_code, PendingBinding)
    assert isinstance(in_person, PendingBinding)
    with runtime.unit_of_work(APPLYING) as uow:
        sent = uow.outbox.latest(1, uow.residents.phone_index("13900000199"))[0].body
        code = sent.split("验证码 ")[1][:6]
        confirm_by_code(uow, OutboxSender(), holder, by_code.reference, code)
    with runtime.unit_of_work(operator("checkpoint-staff", "check a document")) as uow:
        confirm_in_person(uow, OutboxSender(), in_person.reference, visitor.key, "MARIE CURIE")
    with runtime.unit_of_work(operator("resident")) as uow:
        people = people_of(uow, holder)
        proofs = uow.connection.execute(
            select(household_links.c.consent).order_by(household_links.c.id)
        ).scalars()
        assert pending_of(uow, holder) == []
    assert [p.relationship for p in people] == ["self", "other", "other"]
    assert list(proofs)[-2:] == [BY_CODE, BY_STAFF]


def test_a_pending_binding_that_ended_is_forgotten_by_the_scheduled_round__D2(
    runtime: Runtime, clock: ManualClock
) -> None:
    holder = account(runtime, "13900000109")
    take(runtime, holder, HOLDER)
    stranger = Person(IdType.RESIDENT_ID, resident_id(birth="19900101", seq="205"), "某某")
    with runtime.unit_of_work(APPLYING) as uow:
        apply_for_account(uow, holder, stranger, member=FamilyMember.OTHER, consent=True)
    run_round(runtime)
    assert count_pending(runtime) == 1  # still waiting: kept
    clock.instant += PENDING_VALIDITY
    run_round(runtime)
    assert count_pending(runtime) == 0


def count_pending(runtime: Runtime) -> int:
    with runtime.engine.connect() as connection:
        return len(connection.execute(select(pending_links.c.id)).all())

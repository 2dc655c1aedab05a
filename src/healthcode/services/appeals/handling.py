"""Handling an appeal (S6): correct the facts, or reject with a reason, or override the colour.

A code is never edited: a handler adds a fact (the missing negative test) or retracts one, with the
appeal as its source (`hotline`, event id `appeal-<n>-…`), through `record_facts`, so the code is
re-evaluated by the same rules as everyone's. A colour override is a designation with an
authority and an expiry, asked for by one person and approved by another; only the approval
records it (a start now and an end at the expiry, so it lapses by itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from healthcode.db.appeal_events_store import Override
from healthcode.db.appeals_store import StoredAppeal
from healthcode.domain.appeals import AppealEventKind, AppealFact, AppealStatus, addition_problem
from healthcode.domain.facts import (
    Action,
    DesignatedColour,
    Designation,
    Fact,
    Person,
    Retraction,
    Source,
)
from healthcode.domain.roles import Role
from healthcode.services.appeals.common import (
    colour_of,
    handled_by,
    person_target,
    record_event,
    refuse,
    time_limits,
)
from healthcode.services.appeals.refusals import (
    FACT_NOT_FOUND,
    INVALID_FACT,
    INVALID_OVERRIDE,
    NO_OVERRIDE,
    OVERRIDE_EXPIRED,
    OVERRIDE_PENDING,
    REASON_REQUIRED,
    SAME_PERSON,
)
from healthcode.services.facts import record_facts
from healthcode.services.principals import Principal
from healthcode.services.runtime import UnitOfWork

APPROVERS: Final = frozenset({Role.LOCAL_HANDLER, Role.RULE_APPROVER})
REASON_LIMIT: Final = 500


@dataclass(frozen=True, slots=True)
class Correction:
    """A fact recorded on an appeal and what it did to the code."""

    appeal_id: int
    event_id: str
    colour_before: str | None
    colour_after: str | None


def correct_with_fact(
    uow: UnitOfWork, principal: Principal, appeal_id: int, fact: AppealFact
) -> Correction:
    """Add a fact the record lacked (a local handler of the appeal's region)."""
    action = "appeal.correct"
    appeal = handled_by(uow, principal, appeal_id, action)
    if addition_problem(fact, uow.now) is not None:
        refuse(uow, action, INVALID_FACT, appeal.id, person_target(uow, appeal.person_id))
    event_id = _next_event_id(uow, appeal)
    added = Fact(event_id, Source.HOTLINE, _person(uow, appeal), fact.occurred_at, fact.payload)
    return _record(uow, principal, appeal, [added], AppealEventKind.FACT_ADDED, action)


def retract_fact(
    uow: UnitOfWork, principal: Principal, appeal_id: int, event_id: str, reason: str
) -> Correction:
    """Withdraw a wrong fact of the person (a trip they never made), with the reason."""
    action = "appeal.retract"
    appeal = handled_by(uow, principal, appeal_id, action)
    target = person_target(uow, appeal.person_id)
    if not _usable_reason(reason):
        refuse(uow, action, REASON_REQUIRED, appeal.id, target)
    on_file = uow.facts.of_persons([appeal.person_id]).get(appeal.person_id, [])
    if not any(fact.event_id == event_id for fact in on_file):
        refuse(uow, action, FACT_NOT_FOUND, appeal.id, target)
    retraction = Fact(
        _next_event_id(uow, appeal),
        Source.HOTLINE,
        _person(uow, appeal),
        uow.now,
        Retraction(event_id, reason),
    )
    return _record(uow, principal, appeal, [retraction], AppealEventKind.FACT_RETRACTED, action)


def reject_appeal(uow: UnitOfWork, principal: Principal, appeal_id: int, reason: str) -> None:
    """Close the appeal without a change, for a reason the answer will give the person."""
    action = "appeal.reject"
    appeal = handled_by(uow, principal, appeal_id, action)
    target = person_target(uow, appeal.person_id)
    if not _usable_reason(reason):
        refuse(uow, action, REASON_REQUIRED, appeal.id, target)
    uow.appeals.close(appeal.id, AppealStatus.REJECTED)
    record_event(uow, appeal.id, AppealEventKind.REJECTED, principal.label, reason)
    uow.audit(action, target, detail=f"appeal={appeal.id}")


def request_override(
    uow: UnitOfWork,
    principal: Principal,
    appeal_id: int,
    colour: str,
    authority: str,
    expires_at: datetime,
) -> Override:
    """Ask for a colour override on the appeal; nothing changes until a second person approves."""
    action = "appeal.override_request"
    appeal = handled_by(uow, principal, appeal_id, action)
    target = person_target(uow, appeal.person_id)
    store = uow.appeals
    if _pending(store.overrides(appeal.id)) is not None:
        refuse(uow, action, OVERRIDE_PENDING, appeal.id, target)
    longest = uow.now + time_limits(uow).override_max
    valid = colour in set(DesignatedColour) and 0 < len(authority.strip()) <= 128
    if not valid or not uow.now < expires_at <= longest:
        refuse(uow, action, INVALID_OVERRIDE, appeal.id, target)
    asked = Override(0, appeal.id, colour, authority.strip(), expires_at, principal.label, uow.now)
    override_id = store.add_override(asked)
    detail = f"{colour} until {expires_at.isoformat()} ({asked.authority})"
    record_event(uow, appeal.id, AppealEventKind.OVERRIDE_REQUESTED, principal.label, detail)
    uow.audit(action, target, detail=f"appeal={appeal.id} override={override_id}")
    return store.overrides(appeal.id)[-1]


def approve_override(uow: UnitOfWork, principal: Principal, appeal_id: int) -> Correction:
    """A second person approves the pending override: the designation is recorded as facts."""
    action = "appeal.override_approve"
    appeal = handled_by(uow, principal, appeal_id, action, APPROVERS)
    target = person_target(uow, appeal.person_id)
    store = uow.appeals
    pending = _pending(store.overrides(appeal.id))
    if pending is None:
        refuse(uow, action, NO_OVERRIDE, appeal.id, target)
    if pending.requested_by == principal.label:
        refuse(uow, action, SAME_PERSON, appeal.id, target)
    if pending.expires_at <= uow.now:
        refuse(uow, action, OVERRIDE_EXPIRED, appeal.id, target)
    facts = _designation(uow, appeal, pending)
    done = _record(uow, principal, appeal, facts, AppealEventKind.OVERRIDE_APPROVED, action)
    # Reached only once its designation is on record: a refused one stays pending, not half done.
    store.approve_override(pending.id, principal.label, uow.now)
    return done


def _designation(uow: UnitOfWork, appeal: StoredAppeal, override: Override) -> list[Fact]:
    colour = DesignatedColour(override.colour)
    person = _person(uow, appeal)
    reason = f"12345 申诉复核 / appeal review {appeal.id}"
    prefix = f"appeal-{appeal.id}-override-{override.id}"
    start = Designation(Action.START, colour, reason, override.authority)
    end = Designation(Action.END, colour, reason, override.authority)
    return [
        Fact(f"{prefix}-start", Source.HOTLINE, person, uow.now, start),
        Fact(f"{prefix}-end", Source.HOTLINE, person, override.expires_at, end),
    ]


def _record(
    uow: UnitOfWork,
    principal: Principal,
    appeal: StoredAppeal,
    facts: list[Fact],
    kind: AppealEventKind,
    action: str,
) -> Correction:
    """Record the facts through the normal path and note on the appeal what they changed."""
    target = person_target(uow, appeal.person_id)
    before = colour_of(uow, appeal.person_id)
    report = record_facts(uow, facts)
    if report.conflicts:  # e.g. a retraction the fact log cannot accept
        refuse(uow, action, INVALID_FACT, appeal.id, target)
    after = colour_of(uow, appeal.person_id)
    event_id = facts[0].event_id
    detail = f"{event_id}: {before or '-'} → {after or '-'}"
    record_event(uow, appeal.id, kind, principal.label, detail)
    uow.audit(action, target, detail=f"appeal={appeal.id} event_id={event_id}")
    return Correction(appeal.id, event_id, before, after)


def _next_event_id(uow: UnitOfWork, appeal: StoredAppeal) -> str:
    kinds = (AppealEventKind.FACT_ADDED, AppealEventKind.FACT_RETRACTED)
    return f"appeal-{appeal.id}-fact-{uow.appeals.count_events(appeal.id, kinds) + 1}"


def _person(uow: UnitOfWork, appeal: StoredAppeal) -> Person:
    key = uow.people.key_of(appeal.person_id)
    if key is None:  # the foreign key keeps the person
        raise LookupError("an appeal's person is missing")
    return Person(*key)


def _pending(overrides: list[Override]) -> Override | None:
    return next((o for o in reversed(overrides) if o.approved_by is None), None)


def _usable_reason(reason: str) -> bool:
    return 0 < len(reason.strip()) <= REASON_LIMIT

"""Reading appeals (S6): a handler's queue, one appeal, a person's appeals on a callback, and
what the resident page shows. Every read of what a person said is audited (D1).

A caller who may not see an appeal gets None, exactly as for one that does not exist: the web
layer answers 404 and a handler learns nothing of other regions' appeals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from healthcode.db.appeal_events_store import AppealEvent, Override
from healthcode.db.appeals_store import StoredAppeal
from healthcode.db.people import StoredPerson
from healthcode.domain.appeals import AppealCategory, AppealChannel, AppealStatus, is_overdue
from healthcode.domain.facts import PersonKey
from healthcode.domain.regions import normalise
from healthcode.domain.roles import Role
from healthcode.domain.text import Bilingual
from healthcode.security.pseudonyms import audit_pseudonym
from healthcode.services.appeals.common import (
    HANDLERS,
    READERS,
    person_target,
    visible_to,
)
from healthcode.services.households.links import person_for
from healthcode.services.principals import Principal
from healthcode.services.runtime import UnitOfWork

QUEUE_LIMIT: Final = 500
# Who may be given the number to call back: those who call people back.
CALLERS: Final = frozenset({Role.HOTLINE_OPERATOR, Role.LOCAL_HANDLER})
# Who lists waiting appeals: handlers their region's; the hotline every region's (it follows up
# callbacks from anywhere, as it reads any appeal).
LISTERS: Final = HANDLERS | {Role.HOTLINE_OPERATOR}


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One line of a handler's queue: nothing sealed is opened for it."""

    appeal: StoredAppeal
    person: StoredPerson  # masked document number and name
    overdue: bool


@dataclass(frozen=True, slots=True)
class AppealView:
    """One appeal, opened for a handler or an operator."""

    appeal: StoredAppeal
    person: StoredPerson
    text: str | None
    callback_phone: str | None  # in full only for those who call back; else see appeal's masked
    snapshot: dict[str, Any] | None  # the decision shown when filing: colour, rules, facts used
    answer: dict[str, Any] | None  # zh, en, language, colour_before, colour_after, sent_to
    events: tuple[AppealEvent, ...]  # the timeline, escalations included
    overrides: tuple[Override, ...]
    merged: tuple[StoredAppeal, ...]  # repeat filings merged into this one
    overdue: bool


@dataclass(frozen=True, slots=True)
class ResidentAppeal:
    """What the resident page shows of an appeal: where it stands and the answer, if any."""

    appeal_id: int
    category: AppealCategory
    channel: AppealChannel
    status: AppealStatus
    opened_at: datetime
    answered_at: datetime | None
    answer: Bilingual | None
    # Repeat filings (calls) merged into this appeal: one appeal, one answer, under its number.
    repeats: tuple[int, ...] = ()


def appeals_for_handler(uow: UnitOfWork, principal: Principal) -> list[QueueItem]:
    """Appeals owed an answer whose current unit lies in the caller's region, due first."""
    if not principal.roles & LISTERS:
        uow.audit("appeal.queue", outcome="refused")
        return []
    scope = None if principal.region is None else normalise(principal.region)
    waiting = [
        appeal
        for appeal in uow.appeals.waiting(scope, QUEUE_LIMIT)
        if principal.answers_for(appeal.route.region)
    ]
    people = uow.people.by_ids({appeal.person_id for appeal in waiting})
    uow.audit("appeal.queue", detail=f"region={scope or 'all'} appeals={len(waiting)}")
    return [
        QueueItem(appeal, people[appeal.person_id], is_overdue(appeal.due_at, uow.now))
        for appeal in waiting
    ]


def appeal_for(uow: UnitOfWork, principal: Principal, appeal_id: int) -> AppealView | None:
    """One appeal, if the caller may read it: an operator reads all (callbacks), a handler only
    those of their region, a rule approver all (to approve overrides). Else None."""
    appeal = uow.appeals.get(appeal_id)
    if appeal is None or not visible_to(principal, appeal, READERS):
        uow.audit("appeal.read", outcome="not_found", detail=f"appeal={appeal_id}")
        return None
    uow.audit("appeal.read", person_target(uow, appeal.person_id), detail=f"appeal={appeal_id}")
    return _view(uow, principal, appeal)


def find_by_person(
    uow: UnitOfWork, principal: Principal, person_key: PersonKey
) -> list[AppealView]:
    """A 12345 operator finds the person's appeals when they call back, newest first."""
    target = audit_pseudonym(
        uow.runtime.vault, "person", f"{person_key.id_type.value}:{person_key.id_number}"
    )
    if Role.HOTLINE_OPERATOR not in principal.roles:
        uow.audit("appeal.find", target, outcome="refused")
        return []
    stored = uow.people.find(person_key)
    found = [] if stored is None else uow.appeals.of_person(stored.id)
    uow.audit("appeal.find", target, outcome="ok" if found else "not_found")
    return [_view(uow, principal, appeal) for appeal in found]


def appeals_for_resident(
    uow: UnitOfWork, account_id: str, person_id: str
) -> list[ResidentAppeal] | None:
    """The appeals about a person linked to the account, newest first; None if not linked.

    Repeat filings merged into an appeal are not appeals of their own: they are listed with it.
    """
    if person_for(uow, account_id, person_id) is None:
        return None
    store = uow.appeals
    filings = store.of_person(person_id)
    repeats: dict[int, list[int]] = {}
    for filing in filings:
        if filing.merged_into is not None:
            repeats.setdefault(filing.merged_into, []).append(filing.id)
    shown = []
    for appeal in filings:
        if appeal.merged_into is not None:
            continue  # shown with the appeal it joined, whose number the answer cites
        answer = store.answer(appeal.id)
        text = None if answer is None else Bilingual(str(answer["zh"]), str(answer["en"]))
        shown.append(
            ResidentAppeal(
                appeal.id,
                appeal.category,
                appeal.channel,
                appeal.status,
                appeal.opened_at,
                appeal.answered_at,
                text,
                tuple(sorted(repeats.get(appeal.id, ()))),
            )
        )
    uow.audit("appeal.list", person_target(uow, person_id), detail=f"appeals={len(shown)}")
    return shown


def _view(uow: UnitOfWork, principal: Principal, appeal: StoredAppeal) -> AppealView:
    store = uow.appeals
    person = uow.people.by_ids([appeal.person_id])[appeal.person_id]
    calls_back = bool(principal.roles & CALLERS)
    return AppealView(
        appeal=appeal,
        person=person,
        text=store.text(appeal.id),
        callback_phone=store.callback_phone(appeal.id) if calls_back else None,
        snapshot=store.snapshot(appeal.id),
        answer=store.answer(appeal.primary_id),
        events=tuple(store.events(appeal.id)),
        overrides=tuple(store.overrides(appeal.id)),
        merged=tuple(store.merged(appeal.id)),
        overdue=appeal.answered_at is None and is_overdue(appeal.due_at, uow.now),
    )

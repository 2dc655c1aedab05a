"""Appeals, one door (S6 一门受理): from a 12345 call or from the code page, one record each.

An appeal is routed at once to the unit responsible (属地为主, `responsible_region`) with the time
its tier has to handle it. A person who appeals again about the same problem while their appeal
is open is merged into it: the new filing keeps its own words and callback number, and the
primary carries the work, so the person gets one answer, from one unit.

The rest of the workflow: `appeals_reading` (queues, one appeal, a person's appeals),
`appeals_handling` (correct, retract, reject, overrides), `appeals_answers` (the one answer) and
`appeals_oversight` (escalation, statistics). Access rules: `appeals_common`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from healthcode.db.appeals_store import NewAppeal, StoredAppeal
from healthcode.domain.appeals import (
    AppealCategory,
    AppealChannel,
    AppealEventKind,
    Language,
    OpenAppeal,
    Route,
    due_at,
    primary_for,
    responsible_region,
    text_problem,
)
from healthcode.domain.facts import Person, PersonKey
from healthcode.domain.identity import id_number_problem, normalise_phone
from healthcode.services.appeals.common import (
    person_target,
    record_event,
    snapshot_of,
    time_limits,
)
from healthcode.services.appeals.refusals import NOT_FOUND
from healthcode.services.households.links import person_for
from healthcode.services.refusals import Refused, invalid_input
from healthcode.services.runtime import UnitOfWork


@dataclass(frozen=True, slots=True)
class FiledAppeal:
    """The filing as taken: its number, the appeal that carries the work, and who handles it."""

    appeal_id: int
    primary_id: int  # == appeal_id unless merged into an open appeal
    merged: bool
    route: Route
    due_at: datetime


def file_appeal_by_call(
    uow: UnitOfWork,
    person_key: PersonKey,
    callback_phone: str,
    category: AppealCategory,
    text: str,
    language: Language,
    disputed_region: str | None = None,
) -> FiledAppeal:
    """A 12345 operator records a call. The person is identified by their document; a person
    not yet known is stored (as an application would), since facts may follow the appeal.
    A document number, phone or text that cannot be used is refused before anything is stored."""
    callback_phone = _check_call(person_key, callback_phone, text)
    stored = uow.people.find(person_key)
    person_id = stored.id if stored is not None else uow.people.add(Person(*person_key), uow.now)
    filing = NewAppeal(
        person_id=person_id,
        category=category,
        channel=AppealChannel.HOTLINE,
        route=_route(uow, person_id, disputed_region),
        opened_at=uow.now,
        due_at=uow.now,  # set by _file from the route
        language=language,
        text=text,
        callback_phone=callback_phone,
        snapshot=snapshot_of(uow, person_id),
    )
    return _file(uow, filing, uow.actor.name)


def file_appeal_from_code_page(
    uow: UnitOfWork,
    account_id: str,
    person_id: str,
    category: AppealCategory,
    text: str,
    language: Language,
    disputed_region: str | None = None,
) -> FiledAppeal:
    """A resident appeals from the code page of a person linked to their account. The appeal
    keeps the decision that page showed (colour, rules fired, facts used). A person not linked
    to the account is refused as not found (no probing by id)."""
    _check_text(text)
    if person_for(uow, account_id, person_id) is None:
        uow.audit("appeal.file", None, outcome="not_found", detail="channel=web")
        raise Refused(NOT_FOUND)
    filing = NewAppeal(
        person_id=person_id,
        category=category,
        channel=AppealChannel.WEB,
        route=_route(uow, person_id, disputed_region),
        opened_at=uow.now,
        due_at=uow.now,
        language=language,
        text=text,
        resident_account_id=account_id,
        snapshot=snapshot_of(uow, person_id),
    )
    return _file(uow, filing, f"resident:{account_id}")


def _file(uow: UnitOfWork, filing: NewAppeal, actor: str) -> FiledAppeal:
    store = uow.appeals
    primary = _primary(store.of_person(filing.person_id), filing)
    if primary is not None:
        # A repeat filing sits with its primary: same unit, same due time, out of the queues.
        filing = replace(filing, route=primary.route, due_at=primary.due_at, merged_into=primary.id)
    else:
        limit = due_at(time_limits(uow), filing.category, filing.route.tier, uow.now)
        filing = replace(filing, due_at=limit)
    appeal_id = store.add(filing)
    record_event(uow, appeal_id, AppealEventKind.FILED, actor, f"channel={filing.channel.value}")
    if primary is not None:
        record_event(uow, primary.id, AppealEventKind.MERGED, actor, f"filing={appeal_id}")
    else:
        route = filing.route
        record_event(uow, appeal_id, AppealEventKind.ROUTED, actor, f"{route.tier} {route.region}")
    primary_id = appeal_id if primary is None else primary.id
    detail = (
        f"appeal={appeal_id} primary={primary_id} category={filing.category.value} "
        f"channel={filing.channel.value} unit={filing.route.region}"
    )
    uow.audit("appeal.file", person_target(uow, filing.person_id), detail=detail)
    return FiledAppeal(appeal_id, primary_id, primary is not None, filing.route, filing.due_at)


def _primary(on_file: list[StoredAppeal], filing: NewAppeal) -> StoredAppeal | None:
    candidates = [
        OpenAppeal(a.id, a.person_id, a.category, a.status, a.merged_into)
        for a in on_file
        if a.answered_at is None
    ]
    found = primary_for(candidates, filing.person_id, filing.category)
    return None if found is None else next(a for a in on_file if a.id == found.id)


def _route(uow: UnitOfWork, person_id: str, disputed_region: str | None) -> Route:
    home = uow.people.home_regions([person_id]).get(person_id)
    return responsible_region(home, disputed_region)


def _check_call(person_key: PersonKey, callback_phone: str, text: str) -> str:
    """The callback phone in its one form (`normalise_phone`), once the call can be filed."""
    # Refused by field only: the problem of an ID number or phone would describe the value.
    if id_number_problem(person_key.id_type, person_key.id_number) is not None:
        raise Refused(invalid_input("id_number"))
    canonical = normalise_phone(callback_phone)
    if canonical is None:
        raise Refused(invalid_input("callback_phone"))
    _check_text(text)
    return canonical


def _check_text(text: str) -> None:
    if text_problem(text) is not None:
        raise Refused(invalid_input("text"))

"""Appeals through the 12345 hotline (S6): intake, queues, handling, the one answer, oversight.

Thin routes over the appeal use cases. Document numbers and phones travel only in bodies, never
in a URL. A refusal the use case returns was audited inside its unit of work, which commits; the
error is raised after it. An appeal another region handles is "not found" (404), as one that does
not exist, so a handler cannot probe other counties' appeals by number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from healthcode.domain.appeals import TEXT_LIMIT, AppealCategory, AppealFact, Language
from healthcode.domain.facts import PersonKey
from healthcode.domain.identity import IdType, normalise_id_number
from healthcode.domain.roles import Role
from healthcode.domain.text import Bilingual
from healthcode.exchange import InvalidRecordError
from healthcode.exchange.events import parse_payload
from healthcode.services.appeals.answers import ANSWERERS, answer_appeal
from healthcode.services.appeals.common import READERS
from healthcode.services.appeals.filing import file_appeal_by_call
from healthcode.services.appeals.handling import (
    APPROVERS,
    REASON_LIMIT,
    approve_override,
    correct_with_fact,
    reject_appeal,
    request_override,
    retract_fact,
)
from healthcode.services.appeals.oversight import OVERSEERS, appeal_stats
from healthcode.services.appeals.reading import appeal_for, appeals_for_handler, find_by_person
from healthcode.services.principals import Principal
from healthcode.services.refusals import NOT_FOUND, Refusal, Refused
from healthcode.services.runtime import UnitOfWork
from healthcode.web.access import Caller, allow
from healthcode.web.appeal_views import (
    answer_json,
    correction_json,
    filed_json,
    override_json,
    queue_item_json,
    stats_json,
    view_json,
)
from healthcode.web.deps import RowId, unit_of_work

router = APIRouter(prefix="/api/v1/appeals", tags=["appeals"])

T = TypeVar("T")
AppealId = RowId

Filing = Annotated[
    Caller, Depends(allow(Role.HOTLINE_OPERATOR, purpose="record a 12345 appeal call"))
]
Finding = Annotated[
    Caller, Depends(allow(Role.HOTLINE_OPERATOR, purpose="find a caller's appeals on callback"))
]
Listing = Annotated[
    Caller,
    Depends(
        allow(Role.LOCAL_HANDLER, Role.HOTLINE_OPERATOR, purpose="list appeals owed an answer")
    ),
]
Reading = Annotated[Caller, Depends(allow(*READERS, purpose="read an appeal"))]
Handling = Annotated[Caller, Depends(allow(Role.LOCAL_HANDLER, purpose="handle an appeal"))]
Approving = Annotated[Caller, Depends(allow(*APPROVERS, purpose="approve an appeal override"))]
Answering = Annotated[Caller, Depends(allow(*ANSWERERS, purpose="answer an appeal"))]
Overseeing = Annotated[Caller, Depends(allow(*OVERSEERS, purpose="oversee appeal handling"))]

INVALID_FACT = Refusal(
    422,
    "invalid_fact",
    Bilingual("补录的事实有误，请检查后重试。", "The fact is not valid; check it."),
)


class PersonBody(BaseModel):
    id_type: IdType
    id_number: str = Field(min_length=1, max_length=32)

    def key(self) -> PersonKey:
        return PersonKey(self.id_type, normalise_id_number(self.id_type, self.id_number))


class CallBody(PersonBody):
    callback_phone: str = Field(min_length=1, max_length=20)
    category: AppealCategory
    text: str = Field(min_length=1, max_length=TEXT_LIMIT)
    language: Language = Language.ZH
    disputed_region: str | None = Field(default=None, pattern=r"^[0-9]{2,12}$")


class FactBody(BaseModel):
    """One fact in the exchange format's shape: its `type`, when it happened, its fields."""

    type: str = Field(min_length=1, max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict)
    occurred_at: str = Field(min_length=1, max_length=40)


class RetractionBody(BaseModel):
    event_id: str = Field(min_length=1, max_length=128)
    reason: str = Field(min_length=1, max_length=REASON_LIMIT)


class ReasonBody(BaseModel):
    reason: str = Field(min_length=1, max_length=REASON_LIMIT)


class OverrideBody(BaseModel):
    colour: str = Field(min_length=1, max_length=16)
    authority: str = Field(min_length=1, max_length=128)
    expires_at: AwareDatetime


class AnswerBody(BaseModel):
    text: str = Field(min_length=1, max_length=1000)


@router.post("", status_code=201)
def file_call(body: CallBody, request: Request, caller: Filing) -> dict[str, Any]:
    """A 12345 operator records a call: routed at once to the unit responsible (属地为主)."""
    with unit_of_work(request, caller) as uow:
        filed = file_appeal_by_call(
            uow,
            body.key(),
            body.callback_phone.strip(),
            body.category,
            body.text,
            body.language,
            body.disputed_region,
        )
    return filed_json(filed)


@router.post("/lookup")
def lookup(body: PersonBody, request: Request, caller: Finding) -> dict[str, Any]:
    """The person calls back: the operator reads the same record the handler wrote."""
    with unit_of_work(request, caller) as uow:
        found = find_by_person(uow, caller.signed_in, body.key())
    return {"appeals": [view_json(view) for view in found]}


@router.get("")
def waiting(request: Request, caller: Listing) -> dict[str, Any]:
    """Appeals owed an answer in the caller's region, due first."""
    with unit_of_work(request, caller) as uow:
        queue = appeals_for_handler(uow, caller.signed_in)
    return {"appeals": [queue_item_json(item) for item in queue]}


@router.get("/stats")
def stats(
    request: Request, caller: Overseeing, days: Annotated[int, Query(ge=1, le=366)] = 30
) -> dict[str, Any]:
    """Volumes, time to answer, escalations and overdue by region and category; misuse apart."""
    with unit_of_work(request, caller) as uow:
        figures = appeal_stats(uow, caller.signed_in, uow.now - timedelta(days=days))
    return stats_json(figures)


@router.get("/{appeal_id}")
def one(appeal_id: AppealId, request: Request, caller: Reading) -> dict[str, Any]:
    with unit_of_work(request, caller) as uow:
        view = appeal_for(uow, caller.signed_in, appeal_id)
    if view is None:
        raise Refused(NOT_FOUND)
    return view_json(view)


@router.post("/{appeal_id}/facts")
def add_fact(
    appeal_id: AppealId, body: FactBody, request: Request, caller: Handling
) -> dict[str, Any]:
    """Add the fact the record lacked; the code is decided again by the rules (ADR 0005)."""
    fact = _appeal_fact(body)
    done = _acted(request, caller, lambda uow, who: correct_with_fact(uow, who, appeal_id, fact))
    return correction_json(done)


@router.post("/{appeal_id}/retractions")
def retract(
    appeal_id: AppealId, body: RetractionBody, request: Request, caller: Handling
) -> dict[str, Any]:
    done = _acted(
        request,
        caller,
        lambda uow, who: retract_fact(uow, who, appeal_id, body.event_id, body.reason),
    )
    return correction_json(done)


@router.post("/{appeal_id}/rejection")
def reject(
    appeal_id: AppealId, body: ReasonBody, request: Request, caller: Handling
) -> dict[str, Any]:
    _acted(request, caller, lambda uow, who: reject_appeal(uow, who, appeal_id, body.reason))
    return {"appeal": appeal_id, "status": "rejected"}


@router.post("/{appeal_id}/override", status_code=201)
def ask_override(
    appeal_id: AppealId, body: OverrideBody, request: Request, caller: Handling
) -> dict[str, Any]:
    """Ask for a colour override; nothing changes until a second person approves it."""
    asked = _acted(
        request,
        caller,
        lambda uow, who: request_override(
            uow, who, appeal_id, body.colour, body.authority, body.expires_at
        ),
    )
    return override_json(asked)


@router.post("/{appeal_id}/override/approval")
def approve(appeal_id: AppealId, request: Request, caller: Approving) -> dict[str, Any]:
    done = _acted(request, caller, lambda uow, who: approve_override(uow, who, appeal_id))
    return correction_json(done)


@router.post("/{appeal_id}/answer")
def answer(
    appeal_id: AppealId, body: AnswerBody, request: Request, caller: Answering
) -> dict[str, Any]:
    """The one answer, through the channel the person used; answering again sends nothing."""
    sender = request.app.state.sender
    given = _acted(
        request, caller, lambda uow, who: answer_appeal(uow, who, appeal_id, sender, body.text)
    )
    return answer_json(given)


def _acted(request: Request, caller: Caller, act: Callable[[UnitOfWork, Principal], T]) -> T:
    """One use case in one unit of work; a refusal it raises is committed with its audit entry."""
    with unit_of_work(request, caller) as uow:
        return act(uow, caller.signed_in)


def _appeal_fact(body: FactBody) -> AppealFact:
    """Read the fact as the exchange reader reads a record, so a problem names its field."""
    record = {**body.payload, "type": body.type, "occurred_at": body.occurred_at}
    try:
        occurred_at, payload = parse_payload(record, "fact")
    except InvalidRecordError as invalid:
        field = invalid.error.field
        if field is not None and field not in {"type", "occurred_at"}:
            field = f"payload.{field}"
        raise Refused(replace(INVALID_FACT, field=field)) from None
    return AppealFact(payload, occurred_at)

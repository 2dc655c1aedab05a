"""The resident API (A1, A3, A8, S3, S4, S6): people on the account, applications, codes,
symptoms, and appeals from the code page with their answers.

Every person is addressed by their pseudonymous id and checked against the caller's account
(`person_for`): a person not linked to it is answered 404, so ids cannot be probed.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator

from healthcode.domain.appeals import TEXT_LIMIT, AppealCategory, Language
from healthcode.domain.facts import Fact, Person, Source, Symptom, Symptoms, SymptomsAction
from healthcode.domain.identity import IdType, normalise_id_number, normalise_phone
from healthcode.domain.roles import Role
from healthcode.domain.text import Bilingual
from healthcode.domain.timezones import display_instant
from healthcode.services.appeals.filing import file_appeal_from_code_page
from healthcode.services.appeals.reading import appeals_for_resident
from healthcode.services.explanations import Explanation, explanation_for
from healthcode.services.facts import record_facts
from healthcode.services.households.binding import apply_for_account, pending_of
from healthcode.services.households.links import (
    FamilyMember,
    LinkedPerson,
    key_for,
    people_of,
    person_for,
    unbind,
)
from healthcode.services.households.pending import PendingBinding
from healthcode.services.refusals import NOT_FOUND, Refusal, Refused
from healthcode.services.runtime import UnitOfWork
from healthcode.tokens import CodeVersion
from healthcode.web.access import Caller, allow
from healthcode.web.appeal_views import (
    filed_json,
    resident_appeal_json,
)
from healthcode.web.code_views import (
    explanation_json,
    issued_json,
    person_json,
)
from healthcode.web.deps import metrics_of, runtime_of, unit_of_work
from healthcode.web.i18n import language

router = APIRouter(prefix="/api/v1", tags=["residents"])

PersonId = Annotated[str, Path(min_length=1, max_length=64)]
Listing = Annotated[Caller, Depends(allow(Role.RESIDENT, purpose="list my household's codes"))]
Applying = Annotated[Caller, Depends(allow(Role.RESIDENT, purpose="apply for a health code"))]
Unbinding = Annotated[Caller, Depends(allow(Role.RESIDENT, purpose="unbind a family member"))]
Showing = Annotated[Caller, Depends(allow(Role.RESIDENT, purpose="show a health code"))]
Printing = Annotated[Caller, Depends(allow(Role.RESIDENT, purpose="print a paper code"))]
Reporting = Annotated[Caller, Depends(allow(Role.RESIDENT, purpose="self-report symptoms"))]
Appealing = Annotated[Caller, Depends(allow(Role.RESIDENT, purpose="appeal a health code"))]
Answers = Annotated[Caller, Depends(allow(Role.RESIDENT, purpose="read my appeals' answers"))]

NO_CODE = Refusal(
    409,
    "no_code",
    Bilingual("暂时无法生成健康码，请稍后再试。", "The code cannot be issued yet; try later."),
)


class ApplicationBody(BaseModel):
    """For yourself (`relationship` "self") or a family member: what they are to you."""

    relationship: Literal["self"] | FamilyMember = "self"
    id_type: IdType
    id_number: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=64)
    phone: str | None = Field(default=None, max_length=20)
    nationality: str | None = Field(default=None, min_length=3, max_length=3)
    consent: bool = False  # for a family member: you declare they agreed (A8, S3)
    version: CodeVersion | None = None

    def person(self) -> Person:
        return Person(
            self.id_type,
            normalise_id_number(self.id_type, self.id_number),
            name=self.name.strip(),
            # In its one form; a number that is none goes on as typed, for the use case to refuse.
            phone=(normalise_phone(self.phone) or self.phone) if self.phone else None,
            nationality=self.nationality.upper() if self.nationality else None,
        )


class SymptomsBody(BaseModel):
    action: SymptomsAction = SymptomsAction.REPORT
    symptoms: list[Symptom] = Field(default_factory=list, max_length=3)

    @model_validator(mode="after")
    def _named_when_reported(self) -> SymptomsBody:
        if self.action is SymptomsAction.REPORT and not self.symptoms:
            raise ValueError("name at least one symptom")
        return self


class AppealBody(BaseModel):
    """What is wrong, in the person's words; the answer comes in `language` (default: the
    language the page is read in)."""

    category: AppealCategory
    text: str = Field(min_length=1, max_length=TEXT_LIMIT)
    language: Language | None = None
    disputed_region: str | None = Field(default=None, pattern=r"^[0-9]{2,12}$")


@router.get("/me/people")
def my_people(request: Request, caller: Listing) -> dict[str, Any]:
    """The persons this account may show: the holder first, then family members."""

    def listed(uow: UnitOfWork) -> tuple[list[LinkedPerson], list[PendingBinding]]:
        return people_of(uow, caller.signed_in.subject), pending_of(uow, caller.signed_in.subject)

    people, waiting = runtime_of(request).read_or_write(caller.actor, listed)  # reads (ADR 0021)
    return {
        "people": [person_json(person) for person in people],
        "pending": [pending_json(pending) for pending in waiting],
    }


@router.post(
    "/applications",
    status_code=201,
    responses={202: {"description": "Pending: nothing is shown until the person is proven."}},
)
def apply(
    body: ApplicationBody, request: Request, response: Response, caller: Applying
) -> dict[str, Any]:
    """201 with the code once the person is proven to be who the form says (the register, the
    phone on record, the household); else 202 with a binding that shows nothing until confirmed:
    the same 202 for an unknown document, a wrong name and a known person (ADR 0009)."""
    member = None if body.relationship == "self" else FamilyMember(body.relationship)
    with unit_of_work(request, caller) as uow:
        taken = apply_for_account(
            uow,
            caller.signed_in.subject,
            body.person(),
            member=member,
            consent=body.consent,
            version=body.version,
            sender=request.app.state.sender,
            register=request.app.state.register,
        )
    if isinstance(taken, PendingBinding):
        response.status_code = 202
        return pending_json(taken)
    return {"person_id": taken.person_id, **taken.application.as_json()}


PENDING_NEXT = Bilingual(
    "若所填信息与户籍登记一致，验证码已发送至其登记的手机号：输入验证码即可完成绑定；"
    "或携带身份证件和此编号到服务点，由工作人员核验。核验前不会显示任何信息。",
    "If the details match the population register, a code was texted to the phone on record: "
    "enter it to complete the binding, or take the identity document and this reference to a "
    "service point to be checked by staff. Nothing is shown until then.",
)


def pending_json(pending: PendingBinding) -> dict[str, Any]:
    """One shape whatever the register said: nothing in it depends on the person (D2)."""
    return {
        "status": "pending",
        "reference": pending.reference,
        "relationship": pending.relationship,
        "expires_at": display_instant(pending.expires_at),
        "next": {"zh": PENDING_NEXT.zh, "en": PENDING_NEXT.en},
    }


@router.delete("/me/people/{person_id}", status_code=204)
def unbind_member(person_id: PersonId, request: Request, caller: Unbinding) -> Response:
    with unit_of_work(request, caller) as uow:
        unbind(uow, caller.signed_in.subject, person_id)
    return Response(status_code=204)


@router.get("/codes/{person_id}", response_model=dict[str, Any])
def show_code(
    person_id: PersonId,
    request: Request,
    caller: Showing,
    qr: Annotated[Literal["png"] | None, Query(description="`png`: the QR drawn too")] = None,
) -> Response:
    """A code for a linked person, with why it has its colour and what turns it green.

    The same code comes back on a refresh in the first half of its validity while its colour is
    unchanged. The QR is drawn by the device from `token`; `?qr=png` adds it as a PNG data URL
    (`qr_png`) for clients that cannot draw.
    """
    shown = _issued(request, caller, person_id, paper=False, png=qr == "png")
    # The peak's request (ADR 0022): written out here, the same bytes FastAPI would write, without
    # the second trip through the thread pool it takes to validate a sync route's own dict.
    return JSONResponse(shown)


@router.post("/codes/{person_id}/paper")
def paper_code(person_id: PersonId, request: Request, caller: Printing) -> dict[str, Any]:
    """A paper code to print, valid for days (S4: no smartphone, never refused)."""
    return _issued(request, caller, person_id, paper=True)


@router.post("/codes/{person_id}/symptoms")
def report_symptoms(
    person_id: PersonId, body: SymptomsBody, request: Request, caller: Reporting
) -> dict[str, Any]:
    """Self-reported symptoms (A3) or their end (M4); the code is decided again at once."""
    with unit_of_work(request, caller) as uow:
        linked = person_for(uow, caller.signed_in.subject, person_id)
        explanation = None if linked is None else _report(uow, linked, body)
    if linked is None:
        raise Refused(NOT_FOUND)
    shown = {} if explanation is None else explanation_json(explanation)
    return {"person_id": person_id, "previous_colour": linked.colour, **shown}


@router.post("/codes/{person_id}/appeal", status_code=201)
def file_appeal(
    person_id: PersonId, body: AppealBody, request: Request, caller: Appealing
) -> dict[str, Any]:
    """An appeal from the code page (S6): it keeps the decision shown, and is routed like a call."""
    chosen = body.language or Language(language(request))
    with unit_of_work(request, caller) as uow:
        filed = file_appeal_from_code_page(
            uow,
            caller.signed_in.subject,
            person_id,
            body.category,
            body.text,
            chosen,
            body.disputed_region,
        )
    return filed_json(filed)


@router.get("/codes/{person_id}/appeals")
def my_appeals(person_id: PersonId, request: Request, caller: Answers) -> dict[str, Any]:
    """A linked person's appeals, newest first, with where each stands and the one answer."""
    shown = runtime_of(request).read_or_write(  # reads (ADR 0021)
        caller.actor, lambda uow: appeals_for_resident(uow, caller.signed_in.subject, person_id)
    )
    if shown is None:
        raise Refused(NOT_FOUND)
    return {"appeals": [resident_appeal_json(appeal) for appeal in shown]}


def _report(uow: UnitOfWork, linked: LinkedPerson, body: SymptomsBody) -> Explanation | None:
    fact = Fact(
        f"self-report-{secrets.token_hex(12)}",
        Source.RESIDENT,
        Person(*key_for(uow, linked)),
        uow.now,
        Symptoms(body.action, tuple(body.symptoms)),
    )
    record_facts(uow, [fact])
    return explanation_for(uow, linked.person_id)


def _issued(
    request: Request, caller: Caller, person_id: str, *, paper: bool, png: bool = False
) -> dict[str, Any]:
    def issued(uow: UnitOfWork) -> tuple[LinkedPerson | None, dict[str, Any] | None]:
        linked = person_for(uow, caller.signed_in.subject, person_id)
        return linked, None if linked is None else issued_json(uow, linked, paper=paper, png=png)

    if paper:  # never reused: a paper code always stores its pseudonym
        with unit_of_work(request, caller) as uow:
            linked, shown = issued(uow)
    else:
        # A refresh within the code's window reuses it and only reads: no writer lock, its audit
        # entry committed with others' (ADR 0021). A fresh code runs again in a writing unit.
        linked, shown = runtime_of(request).read_or_write(caller.actor, issued)
    if linked is None:
        raise Refused(NOT_FOUND)
    if shown is None:  # the refusal was audited and committed with the unit of work
        raise Refused(NO_CODE)
    metrics_of(request).codes_shown.labels(shown["colour"]).inc()
    return shown

"""The resident's pages (A1, A3, A8, S3, S4, S6): my codes, apply, paper code, symptoms, and
appeals (the form, where each appeal stands, the one answer).

Mobile first and server-rendered, so a code shows even before any script runs; the scripts keep
the clock live and fetch a fresh code before the shown one expires. Names and numbers are masked.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from healthcode.domain.applications import international_by_default
from healthcode.domain.facts import Symptom
from healthcode.domain.labels import ID_TYPE_NAMES
from healthcode.domain.roles import Role
from healthcode.domain.text import Bilingual
from healthcode.services.appeals.reading import appeals_for_resident
from healthcode.services.explanations import explanation_for
from healthcode.services.households.binding import pending_of
from healthcode.services.households.links import (
    FamilyMember,
    LinkedPerson,
    bound_by,
    people_of,
    person_for,
)
from healthcode.services.runtime import UnitOfWork
from healthcode.web.access import Caller, allow
from healthcode.web.appeal_views import CATEGORY_NAMES, STATUS_NAMES, resident_appeal_json
from healthcode.web.code_views import (
    HOTLINE,
    explanation_json,
    issued_json,
    person_json,
)
from healthcode.web.deps import RowIdQuery, metrics_of, unit_of_work
from healthcode.web.i18n import COOKIE
from healthcode.web.rendering import render

router = APIRouter(include_in_schema=False)

PersonId = Annotated[str, Path(min_length=1, max_length=64)]
Home = Annotated[Caller, Depends(allow(Role.RESIDENT, purpose="show my household's codes"))]
Applying = Annotated[Caller, Depends(allow(Role.RESIDENT, purpose="apply for a health code"))]
Printing = Annotated[Caller, Depends(allow(Role.RESIDENT, purpose="print a paper code"))]
Reporting = Annotated[Caller, Depends(allow(Role.RESIDENT, purpose="self-report symptoms"))]
Appealing = Annotated[Caller, Depends(allow(Role.RESIDENT, purpose="appeal a health code"))]

RELATIONSHIPS = {
    FamilyMember.PARENT: Bilingual("父母", "Parent"),
    FamilyMember.CHILD: Bilingual("子女", "Child"),
    FamilyMember.SPOUSE: Bilingual("配偶", "Spouse"),
    FamilyMember.SIBLING: Bilingual("兄弟姐妹", "Brother or sister"),
    FamilyMember.GRANDPARENT: Bilingual("祖父母、外祖父母", "Grandparent"),
    FamilyMember.GRANDCHILD: Bilingual("孙子女、外孙子女", "Grandchild"),
    FamilyMember.WARD: Bilingual("被监护人", "Person in my guardianship"),
    FamilyMember.OTHER: Bilingual("其他", "Other"),
}
SYMPTOMS = {
    Symptom.FEVER: Bilingual("发热", "Fever"),
    Symptom.SHORTNESS_OF_BREATH: Bilingual("气促", "Shortness of breath"),
    Symptom.RESPIRATORY: Bilingual("咳嗽、咽痛等呼吸道症状", "Cough, sore throat or other"),
}
NOT_LINKED = Bilingual(
    "找不到此人，或其已不在您的账号下。", "Not found, or no longer on your account."
)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, caller: Home) -> Response:
    """One card per person: the holder first, then family members (家人代办, S3)."""
    with unit_of_work(request, caller) as uow:
        people = people_of(uow, caller.signed_in.subject)
        if _english_first(request, people):
            return RedirectResponse("/?lang=en", 303)
        account = caller.signed_in.subject
        cards = [_card(uow, linked) | _answered(uow, account, linked) for linked in people]
        # Bindings waiting for proof (references only) and the accounts that hold my code (D2).
        waiting = pending_of(uow, account)
        holders = bound_by(uow, account) if any(p.is_self for p in people) else []
    for card in cards:
        if card.get("token"):
            metrics_of(request).codes_shown.labels(card["colour"]).inc()
    return render(
        request,
        "resident/home.html",
        cards=cards,
        relationships=RELATIONSHIPS,
        hotline=HOTLINE,
        waiting=waiting,
        holders=holders,
    )


@router.get("/apply", response_class=HTMLResponse)
def apply_page(request: Request, _: Applying) -> HTMLResponse:
    return render(
        request, "resident/apply.html", relationships=RELATIONSHIPS, id_types=ID_TYPE_NAMES
    )


@router.get("/paper/{person_id}", response_class=HTMLResponse)
def paper_page(person_id: PersonId, request: Request, caller: Printing) -> HTMLResponse:
    """A printable code valid for days (S4); printing it again issues a new one."""
    with unit_of_work(request, caller) as uow:
        linked = person_for(uow, caller.signed_in.subject, person_id)
        card = None if linked is None else _card(uow, linked, paper=True)
    if card is None:
        return _not_linked(request)
    return render(request, "resident/paper.html", card=card)


@router.get("/symptoms/{person_id}", response_class=HTMLResponse)
def symptoms_page(person_id: PersonId, request: Request, caller: Reporting) -> HTMLResponse:
    return _about(request, caller, person_id, "resident/symptoms.html", symptoms=SYMPTOMS)


@router.get("/appeal/{person_id}", response_class=HTMLResponse)
def appeal_page(
    person_id: PersonId,
    request: Request,
    caller: Appealing,
    filed: RowIdQuery = None,
) -> HTMLResponse:
    """The decision appealed, the form, and below it the person's appeals with their answers."""
    account = caller.signed_in.subject
    with unit_of_work(request, caller) as uow:
        linked = person_for(uow, account, person_id)
        card = None if linked is None else _explained(uow, linked)
        appeals = appeals_for_resident(uow, account, person_id) if linked else None
    if card is None or appeals is None:
        return _not_linked(request)
    return render(
        request,
        "resident/appeal.html",
        card=card,
        appeals=[resident_appeal_json(appeal) for appeal in appeals],
        filed=filed,
        categories=CATEGORY_NAMES,
        statuses=STATUS_NAMES,
        hotline=HOTLINE,
    )


def _about(
    request: Request, caller: Caller, person_id: str, template: str, **context: Any
) -> HTMLResponse:
    """A page about one linked person's decision, without issuing a code."""
    with unit_of_work(request, caller) as uow:
        linked = person_for(uow, caller.signed_in.subject, person_id)
        card = None if linked is None else _explained(uow, linked)
    if card is None:
        return _not_linked(request)
    return render(request, template, card=card, relationships=RELATIONSHIPS, **context)


def _card(uow: UnitOfWork, linked: LinkedPerson, *, paper: bool = False) -> dict[str, Any]:
    issued = issued_json(uow, linked, paper=paper)
    return _explained(uow, linked) if issued is None else issued


def _answered(uow: UnitOfWork, account_id: str, linked: LinkedPerson) -> dict[str, Any]:
    """Whether the card says an appeal about this person has been answered (统一反馈)."""
    appeals = appeals_for_resident(uow, account_id, linked.person_id) or []
    return {"appeal_answered": any(appeal.answer is not None for appeal in appeals)}


def _explained(uow: UnitOfWork, linked: LinkedPerson) -> dict[str, Any]:
    explanation = explanation_for(uow, linked.person_id)
    shown = {} if explanation is None else explanation_json(explanation)
    return person_json(linked) | shown


def _english_first(request: Request, people: list[LinkedPerson]) -> bool:
    """The international version reads English (A8) unless the reader chose a language."""
    if "lang" in request.query_params or COOKIE in request.cookies:
        return False
    own = next((linked for linked in people if linked.is_self), None)
    return own is not None and international_by_default(own.person.id_type)


def _not_linked(request: Request) -> HTMLResponse:
    return render(request, "resident/not_found.html", status=404, text=NOT_LINKED)

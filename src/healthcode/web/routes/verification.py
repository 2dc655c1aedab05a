"""Checkpoint staff verify a code at a registered venue or check another credential (M3, M5, S4).

The checkpoint page verifies a code's signature itself first; the server verifies it again (the
client is never trusted) and applies the venue's policy to the colour on record. Answers hold only
what a checkpoint may know: the decision, why, the colour, the masked name and the other ways in
(S4). Never an ID number, a full name or a fact. Each check is audited with its purpose (D2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from healthcode.domain.areas import RiskLevel
from healthcode.domain.checkpoints import CheckpointDecision, other_ways_in
from healthcode.domain.facts import PersonKey
from healthcode.domain.identity import IdType, id_number_problem, normalise_id_number
from healthcode.domain.roles import Role
from healthcode.domain.text import Bilingual
from healthcode.domain.timezones import display_instant
from healthcode.domain.venues import Purpose, Venue
from healthcode.services.checkpoint.alternatives import (
    CheckpointError,
    check_by_registration,
    check_by_test,
    check_certificate,
    check_itinerary_card,
)
from healthcode.services.checkpoint.venues import RegisteredVenue, RegistrationError, cached_venue
from healthcode.services.codes.trust import DatabaseTrust
from healthcode.services.codes.verification import Verification, verify_code
from healthcode.services.limits import hold_staff
from healthcode.services.refusals import NOT_FOUND, Refusal, Refused
from healthcode.services.runtime import UnitOfWork
from healthcode.web.access import Caller, allow
from healthcode.web.deps import metrics_of, runtime_of, unit_of_work

router = APIRouter(prefix="/api/v1", tags=["checkpoint"])

Verifier = Annotated[
    Caller, Depends(allow(Role.CHECKPOINT, purpose="verify a health code at a venue's entrance"))
]
NoPhoneCheck = Annotated[
    Caller,
    Depends(allow(Role.CHECKPOINT, purpose="check a person without a phone at an entrance (S4)")),
]
Check = Callable[[UnitOfWork, Venue, RiskLevel, Purpose | None], CheckpointDecision]


class AtVenue(BaseModel):
    venue_id: str = Field(min_length=1, max_length=64)
    own_treatment: bool = Field(
        default=False, description="Visiting a medical institution for their own treatment (M3)."
    )

    @property
    def purpose(self) -> Purpose | None:
        return Purpose.OWN_TREATMENT if self.own_treatment else None


class CodeCheck(AtVenue):
    token: str = Field(min_length=1, max_length=4096, description="The QR text, HZ1:…")


class DocumentCheck(AtVenue):
    """Who: the identity document shown. In the body only, never in a URL or a log."""

    id_type: IdType
    id_number: str = Field(min_length=1, max_length=32)
    name: str = Field(
        min_length=1,
        max_length=64,
        description="The name on the document; a wrong name is answered as an unknown number.",
    )

    def person_key(self) -> PersonKey:
        number = normalise_id_number(self.id_type, self.id_number)
        if id_number_problem(self.id_type, number) is not None:
            raise Refused(BAD_NUMBER)
        return PersonKey(self.id_type, number)


class ItineraryCheck(DocumentCheck):
    shows_risk_area: bool = Field(
        description="What staff read on the card: a stay in a medium or high-risk area, or none."
    )


class CertificateCheck(AtVenue):
    certificate: str = Field(min_length=1, max_length=4096, description="The QR text, HZC1:…")


@router.post("/verify")
def verify(body: CodeCheck, request: Request, caller: Verifier) -> dict[str, object]:
    """The venue's decision on a code: genuine, in time, and its holder's colour on record now."""

    def verified_at_venue(uow: UnitOfWork) -> tuple[Verification, RegisteredVenue]:
        hold_staff(uow, "verify", "code.verify", f"venue:{body.venue_id}")
        venue = _venue(uow, body.venue_id)
        verified = verify_code(
            body.token,
            trust=DatabaseTrust(uow),
            venue=venue.category,
            area_risk=venue.area_risk,
            now=uow.now,
            purpose=body.purpose,
        )
        outcome = verified.decision.verdict.value
        rejection = None if verified.rejection is None else verified.rejection.value
        uow.audit("code.verify", f"venue:{venue.id}", outcome, f"rejection={rejection or '-'}")
        return verified, venue

    # Only reads (the staff member's count goes to Redis or the group's transaction): no writer
    # lock, and the audit entries commit with other requests' (ADR 0021).
    verified, venue = runtime_of(request).read_or_write(caller.actor, verified_at_venue)
    outcome = verified.decision.verdict.value
    metrics_of(request).verifications.labels("rejected" if verified.rejection else outcome).inc()
    return _code_answer(verified, venue)


@router.post("/checkpoint/test")
def by_test(body: DocumentCheck, request: Request, caller: NoPhoneCheck) -> dict[str, object]:
    """The person's own negative nucleic-acid test of the last 7 days, found by their document."""
    key, name = body.person_key(), body.name
    return _checked(
        request,
        caller,
        body,
        lambda uow, venue, risk, visit: check_by_test(
            uow, key, venue, risk, name=name, purpose=visit
        ),
    )


@router.post("/checkpoint/registration")
def by_registration(
    body: DocumentCheck, request: Request, caller: NoPhoneCheck
) -> dict[str, object]:
    """Registration with a valid identity document: staff look up the colour on record (代查)."""
    key, name = body.person_key(), body.name
    return _checked(
        request,
        caller,
        body,
        lambda uow, venue, risk, visit: check_by_registration(
            uow, key, venue, risk, name=name, purpose=visit
        ),
    )


@router.post("/checkpoint/certificate")
def by_certificate(
    body: CertificateCheck, request: Request, caller: NoPhoneCheck
) -> dict[str, object]:
    """A community's or medical institution's signed paper certificate."""
    text = body.certificate
    return _checked(
        request,
        caller,
        body,
        lambda uow, venue, risk, visit: check_certificate(uow, text, venue, risk, purpose=visit),
    )


@router.post("/checkpoint/itinerary")
def by_itinerary(body: ItineraryCheck, request: Request, caller: NoPhoneCheck) -> dict[str, object]:
    """The telecom itinerary card, auxiliary to registration with the document."""
    key, card, name = body.person_key(), body.shows_risk_area, body.name
    return _checked(
        request,
        caller,
        body,
        lambda uow, venue, risk, visit: check_itinerary_card(
            uow, key, card, venue, risk, name=name, purpose=visit
        ),
    )


def _checked(request: Request, caller: Caller, body: AtVenue, check: Check) -> dict[str, object]:
    try:
        with unit_of_work(request, caller) as uow:
            venue = _venue(uow, body.venue_id)
            decision = check(uow, venue.category, venue.area_risk, body.purpose)
    except CheckpointError as error:  # rolled back; the input is never repeated, only its field
        raise Refused(BAD_NAME if str(error).startswith("name") else BAD_NUMBER) from None
    return _checkpoint_answer(decision, venue)


def _venue(uow: UnitOfWork, venue_id: str) -> RegisteredVenue:
    try:
        return cached_venue(uow, venue_id)
    except RegistrationError:
        raise Refused(NOT_FOUND) from None


def _code_answer(verified: Verification, venue: RegisteredVenue) -> dict[str, object]:
    decision = verified.decision
    # Online, the colour on record decides: it may differ from the one the code was issued with.
    colour = verified.current_colour or verified.colour
    return {
        **decision.as_json(),
        "method": "code",
        "colour": None if colour is None else colour.value,
        "code_colour": None if verified.colour is None else verified.colour.value,
        "issuer": verified.issuer,
        "masked_name": verified.masked_name,
        "version": None if verified.version is None else verified.version.value,
        "medium": None if verified.medium is None else verified.medium.value,
        "expires_at": display_instant(verified.expires_at),
        "flags": list(verified.flags),
        "rejection": None if verified.rejection is None else verified.rejection.value,
        "shown": {},
        "alternatives": [name.as_dict() for name in other_ways_in()],
        "venue": _venue_json(venue),
    }


def _checkpoint_answer(decision: CheckpointDecision, venue: RegisteredVenue) -> dict[str, object]:
    shown = dict(decision.shown)
    return {
        **decision.as_json(),
        "colour": None,  # a credential other than the code says nothing of the colour itself
        "issuer": None,
        "masked_name": shown.get("masked_name"),
        "version": None,
        "flags": [],
        "rejection": None,
        "alternatives": [name.as_dict() for name in other_ways_in(decision.method)],
        "venue": _venue_json(venue),
    }


def _venue_json(venue: RegisteredVenue) -> dict[str, str]:
    return {
        "id": venue.id,
        "name": venue.name,
        "category": venue.category.value,
        "area_risk": venue.area_risk.value,
    }


BAD_NUMBER = Refusal(
    422,
    "invalid_id_number",
    Bilingual("证件号码无效，请核对后重新输入", "The document number is not valid; check it"),
    "id_number",
)
BAD_NAME = Refusal(
    422,
    "invalid_input",
    Bilingual("请输入证件上的姓名", "Enter the name on the document"),
    "name",
)

"""Bindings that wait for proof of identity (issue #11; A1, S3, D2): confirming with the code the
phone on record received, staff checking the document at a service point, and the bound person
seeing and ending the bindings of them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field

from healthcode.domain.facts import PersonKey
from healthcode.domain.identity import IdType, normalise_id_number
from healthcode.domain.roles import Role
from healthcode.domain.timezones import display_instant
from healthcode.services.households.binding import confirm_by_code, confirm_in_person
from healthcode.services.households.links import bound_by, end_binding
from healthcode.web.access import Caller, allow
from healthcode.web.deps import unit_of_work

router = APIRouter(prefix="/api/v1", tags=["residents"])

Reference = Annotated[str, Path(min_length=1, max_length=16, pattern=r"^[0-9A-Fa-f]+$")]
Confirming = Annotated[Caller, Depends(allow(Role.RESIDENT, purpose="confirm a binding by code"))]
Listing = Annotated[Caller, Depends(allow(Role.RESIDENT, purpose="see who holds my code"))]
Ending = Annotated[Caller, Depends(allow(Role.RESIDENT, purpose="end a binding of me"))]
Checking = Annotated[
    Caller,
    Depends(
        allow(
            Role.CHECKPOINT,
            Role.LOCAL_HANDLER,
            purpose="check an identity document in person to complete a binding",
        )
    ),
]


class CodeBody(BaseModel):
    code: str = Field(min_length=1, max_length=12)


class DocumentBody(BaseModel):
    """What the staff member read off the document in front of them."""

    id_type: IdType
    id_number: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=64)


@router.post("/applications/{reference}/confirm", status_code=201)
def confirm(
    reference: Reference, body: CodeBody, request: Request, caller: Confirming
) -> dict[str, Any]:
    """Complete a pending binding with the code texted to the person's phone on record."""
    with unit_of_work(request, caller) as uow:
        taken = confirm_by_code(
            uow, request.app.state.sender, caller.signed_in.subject, reference, body.code,
            request.app.state.register,
        )  # fmt: skip
    return {"person_id": taken.person_id, **taken.application.as_json()}


@router.post("/service-point/bindings/{reference}", status_code=201)
def check_in_person(
    reference: Reference, body: DocumentBody, request: Request, caller: Checking
) -> dict[str, Any]:
    """工作人员代查 (S3): staff saw the document; the binding is completed and audited with them.
    The answer says only that it is done: staff see no code and no colour."""
    key = PersonKey(body.id_type, normalise_id_number(body.id_type, body.id_number))
    with unit_of_work(request, caller) as uow:
        confirm_in_person(
            uow, request.app.state.sender, reference, key, body.name.strip(),
            request.app.state.register,
        )  # fmt: skip
    return {"reference": reference.upper(), "status": "bound"}


@router.get("/me/bound-by")
def who_holds_my_code(request: Request, caller: Listing) -> dict[str, Any]:
    """The other accounts that show the holder's own code, to end any of them."""
    with unit_of_work(request, caller) as uow:
        links = bound_by(uow, caller.signed_in.subject)
    return {
        "bound_by": [
            {
                "link": link.link_id,
                "relationship": link.relationship,
                "linked_at": display_instant(link.linked_at),
                "account_phone": link.account_phone_masked,
            }
            for link in links
        ]
    }


@router.delete("/me/bound-by/{link_id}", status_code=204)
def end_a_binding(
    link_id: Annotated[int, Path(ge=1)], request: Request, caller: Ending
) -> Response:
    with unit_of_work(request, caller) as uow:
        end_binding(uow, caller.signed_in.subject, link_id)
    return Response(status_code=204)

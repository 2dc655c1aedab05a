"""Paper certificates issued from the console by a community's or medical institution's own
staff (S4): the person's document and the one statement the institution may make; the answer is
the QR to print, with what it says. The document number goes in the body only, never in a URL."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from healthcode.domain.certificates import STATEMENT_TEXTS, Statement
from healthcode.domain.facts import PersonKey
from healthcode.domain.identity import IdType, id_number_problem, normalise_id_number
from healthcode.domain.roles import Role
from healthcode.domain.text import Bilingual
from healthcode.domain.timezones import display_instant
from healthcode.services.checkpoint.institutions import issue_certificate_as_staff
from healthcode.services.checkpoint.venues import RegistrationError
from healthcode.services.refusals import Refusal, Refused
from healthcode.tokens import qr_png
from healthcode.web.access import Caller, allow
from healthcode.web.deps import unit_of_work
from healthcode.web.routes.verification import BAD_NUMBER

router = APIRouter(prefix="/api/v1", tags=["certificates"])

Issuer = Annotated[
    Caller,
    Depends(allow(Role.INSTITUTION_STAFF, purpose="issue a paper certificate to a person (S4)")),
]
QR_SCALE = 6  # printed on paper and read at arm's length: larger modules than a phone's code


class CertificateRequest(BaseModel):
    id_type: IdType
    id_number: str = Field(min_length=1, max_length=32)
    statement: Statement

    def person_key(self) -> PersonKey:
        number = normalise_id_number(self.id_type, self.id_number)
        if id_number_problem(self.id_type, number) is not None:
            raise Refused(BAD_NUMBER)
        return PersonKey(self.id_type, number)


@router.post("/certificates", status_code=201)
def issue(body: CertificateRequest, request: Request, caller: Issuer) -> dict[str, Any]:
    """A signed certificate in the caller's institution's name; it lasts as a paper code does."""
    key = body.person_key()
    try:
        with unit_of_work(request, caller) as uow:
            issued = issue_certificate_as_staff(uow, caller.signed_in, key, body.statement)
    except RegistrationError:  # rolled back: a statement this institution may not make
        raise Refused(NOT_ITS_STATEMENT) from None
    png = base64.b64encode(qr_png(issued.text, scale=QR_SCALE)).decode("ascii")
    return {
        "text": issued.text,
        "qr_png": f"data:image/png;base64,{png}",
        "institution": issued.institution.name,
        "statement": STATEMENT_TEXTS[issued.statement].as_dict(),
        "masked_name": issued.masked_name,
        "expires_at": display_instant(issued.expires_at),
    }


NOT_ITS_STATEMENT = Refusal(
    422,
    "invalid_input",
    Bilingual("本机构不能开具此类证明", "Your institution cannot certify this"),
    "statement",
)

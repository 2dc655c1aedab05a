"""Paper certificates (S4), issued by a community's or medical institution's own staff: the
person's document, the one statement the institution may make, and the QR to print. The form
acts through `POST /api/v1/certificates` (static/console/certificates.js)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from healthcode.domain.certificates import ISSUED_BY, STATEMENT_TEXTS, InstitutionKind
from healthcode.domain.labels import ID_TYPE_NAMES
from healthcode.services.checkpoint.institutions import institution_of
from healthcode.web.access import Caller, allow
from healthcode.web.deps import unit_of_work
from healthcode.web.pages.console_layout import CERTIFICATE_ROLES, console_page

router = APIRouter(include_in_schema=False)
Issuer = Annotated[
    Caller, Depends(allow(*CERTIFICATE_ROLES, purpose="issue a paper certificate to a person"))
]


@router.get("/console/certificates", response_class=HTMLResponse)
def certificates_page(request: Request, caller: Issuer) -> HTMLResponse:
    with unit_of_work(request, caller) as uow:
        institution = institution_of(uow, caller.signed_in)
    kind = None if institution is None else InstitutionKind(institution.kind)
    statements = {
        statement: STATEMENT_TEXTS[statement]
        for statement, issuer in ISSUED_BY.items()
        if issuer is kind
    }
    return console_page(
        request,
        caller,
        "console/certificates.html",
        institution=institution,
        statements=statements,
        id_types=ID_TYPE_NAMES,
    )

"""Border staff record an inbound traveller's verified foreign certificate as facts (issue #15).

`POST /api/v1/foreign/facts` takes the scanned text and the identity document the officer checked
(`person`: `id_type`, `id_number`, as SPEC §1 names a person). The certificate is verified now
against the installation's trust files, and the facts the acceptance rules in force accept are
recorded through the department import path (services/foreign_facts.py). The answer counts what
was recorded and says, per fact not accepted, which rules it did not meet; it repeats nothing of
the certificate or the document.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from healthcode.domain.identity import IdType
from healthcode.domain.roles import Role
from healthcode.services.foreign import ForeignTrust
from healthcode.services.foreign_facts import checked_person, record_foreign_certificate
from healthcode.web.access import Caller, allow
from healthcode.web.deps import unit_of_work

router = APIRouter(prefix="/api/v1", tags=["foreign certificates"])

ForeignRecorder = Annotated[
    Caller,
    Depends(
        allow(Role.BORDER, purpose="record an inbound traveller's foreign certificate as facts")
    ),
]


class Traveller(BaseModel):
    id_type: IdType
    id_number: str = Field(min_length=1, max_length=32)


class ForeignRecord(BaseModel):
    text: str = Field(min_length=1, max_length=8192, description="HC1:…, shc:/… or NZCP:/…")
    person: Traveller


@router.post("/foreign/facts")
def record_foreign_facts(
    body: ForeignRecord, request: Request, caller: ForeignRecorder
) -> dict[str, object]:
    """Verify a foreign certificate and record the facts the acceptance rules accept."""
    trust: ForeignTrust = request.app.state.foreign_trust
    with unit_of_work(request, caller) as uow:
        person = checked_person(body.person.id_type, body.person.id_number)
        recording = record_foreign_certificate(uow, body.text, person, trust.current())
    return recording.to_json()

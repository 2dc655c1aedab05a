"""Border and checkpoint staff verify inbound travellers' foreign certificates (issue #15).

`POST /api/v1/foreign/verify` takes the scanned text (EU DCC `HC1:`, SMART Health Card `shc:/`,
NZ COVID Pass `NZCP:/`) and answers the verdict: each check, why in both languages, and the facts
an accepted certificate proves, with the holder's name masked as on every screen (D2). Trust is
the installation's own folder of files (`Settings.foreign_trust_dir`); nothing goes to the
network. Each verification is audited with the format and the reasons' codes only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, BaseModel, Field

from healthcode.domain.roles import Role
from healthcode.foreign.verdicts import shown_json
from healthcode.services.foreign import ForeignTrust, verify_foreign_certificate
from healthcode.web.access import Caller, allow
from healthcode.web.deps import unit_of_work

router = APIRouter(prefix="/api/v1", tags=["foreign certificates"])

ForeignVerifier = Annotated[
    Caller,
    Depends(
        allow(
            Role.BORDER,
            Role.CHECKPOINT,
            purpose="verify an inbound traveller's foreign health certificate",
        )
    ),
]


class ForeignCheck(BaseModel):
    text: str = Field(
        min_length=1,
        max_length=8192,
        description="The scanned QR text: HC1:…, shc:/… or NZCP:/…",
    )
    at: AwareDatetime | None = Field(
        default=None, description="Verify as at this instant (default: now), with an offset."
    )


@router.post("/foreign/verify")
def verify_foreign_text(
    body: ForeignCheck, request: Request, caller: ForeignVerifier
) -> dict[str, object]:
    """The verdict on a foreign certificate, offline against the installation's trust files."""
    trust: ForeignTrust = request.app.state.foreign_trust
    with unit_of_work(request, caller) as uow:
        verdict = verify_foreign_certificate(uow, body.text, trust.current(), body.at)
    return shown_json(verdict)

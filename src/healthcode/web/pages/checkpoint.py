"""The checkpoint page (issue #5 §5): scan a code with the camera, verify its signature in the
browser against the cached trust list, then ask the server only for the venue's decision; or check
a person without a phone by their ID document (S4). An inbound traveller's foreign certificate
(`HC1:`, `shc:/`, `NZCP:/`) is verified by the server against its trust files and its verdict shown
in both languages (issue #15). Usable at arm's length."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from healthcode.domain.labels import ID_TYPE_NAMES, VENUE_NAMES
from healthcode.domain.roles import Role
from healthcode.foreign.labels import labels_json
from healthcode.services.checkpoint.venues import checks_codes, default_venue, list_venues
from healthcode.services.codes.signing import active_signing_key
from healthcode.services.codes.trust_lists import publish_trust_list
from healthcode.tokens.jwk import public_jwk
from healthcode.tokens.keys import KeyPurpose
from healthcode.web.access import Caller, allow
from healthcode.web.deps import unit_of_work
from healthcode.web.rendering import render

router = APIRouter(include_in_schema=False)

Checkpoint = Annotated[Caller, Depends(allow(Role.CHECKPOINT, purpose="check codes at a venue"))]


@router.get("/checkpoint", response_class=HTMLResponse)
def checkpoint_page(request: Request, caller: Checkpoint) -> HTMLResponse:
    with unit_of_work(request, caller) as uow:
        registered = list_venues(uow)
        chosen = default_venue(registered)
        venues = [
            venue.as_json() | {"checks": checks_codes(venue), "chosen": venue == chosen}
            for venue in registered
        ]
        # The root key the page trusts lists under: delivered with the page from this instance,
        # as a provisioned device would have it pinned. The list itself is refreshed and cached.
        root = public_jwk(active_signing_key(uow, KeyPurpose.TRUST_LIST).public_key)
        trust_list = publish_trust_list(uow)
    return render(
        request,
        "checkpoint.html",
        venues=venues,
        roots=[root],
        trust_list=trust_list,
        issuer=request.app.state.settings.issuer,
        id_types=ID_TYPE_NAMES,
        categories=VENUE_NAMES,
        foreign_labels=labels_json(),
    )

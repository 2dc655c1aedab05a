"""Trust lists and gateway mode over HTTP (S1): codes verify across provinces, offline.

- `/.well-known/healthcode/trust-list`: this issuer's public keys, signed by its root key; public,
  since checkpoints and other provinces fetch it and verify it against the root they hold.
- `/.well-known/healthcode/gateway-list`: every registered issuer's latest list (and this one's),
  inside one list signed by this installation's root, for checkpoints that trust one gateway.
- Registering an issuer's root key is a security administrator's decision (out of band trust).
- Submitting an issuer's list is public: the list proves itself by the signature of the root
  registered for its issuer, so no account is needed and none would add anything. A list that is
  refused is answered with one fixed reason (no oracle for probes), and the refusal is audited.

The well-known lists are cached briefly: long enough to absorb a crowd of checkpoints, short
enough that a revoked key stops being trusted within minutes.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from healthcode.domain.roles import Role
from healthcode.domain.text import Bilingual
from healthcode.domain.timezones import display_instant
from healthcode.services.codes.gateway import (
    GatewayError,
    gateway_list,
    register_issuer,
    submit_trust_list,
)
from healthcode.services.codes.trust_lists import publish_trust_list
from healthcode.services.refusals import Refusal, Refused
from healthcode.tokens.trust_lists import TrustList
from healthcode.web.access import Caller, allow, public
from healthcode.web.deps import unit_of_work

router = APIRouter(tags=["trust lists"])

CACHE_SECONDS: Final = 300
ISSUER_PATTERN: Final = r"^[A-Z]{2}(-[A-Z0-9]{1,13})?$"  # ISO 3166: CN, CN-33, CN-32…

REFUSED_LIST = Refusal(
    400,
    "trust_list_refused",
    Bilingual(
        "信任列表未被接受：签发方未登记、签名未通过其根密钥验证，或早于已持有的列表。",
        "The trust list was refused: its issuer is not registered, its signature does not verify "
        "under the registered root key, or it is older than the list held.",
    ),
)
BAD_REGISTRATION = Refusal(
    422,
    "invalid_issuer",
    Bilingual(
        "无法登记该签发方：须为其他签发方的代码及有效的根公钥（JWK）。",
        "The issuer cannot be registered: give another issuer's code and a valid root public JWK.",
    ),
    "root_jwk",
)


class IssuerRegistration(BaseModel):
    issuer: str = Field(pattern=ISSUER_PATTERN, description="e.g. CN-32 (Jiangsu), CN (national)")
    root_jwk: dict[str, Any] = Field(description="The issuer's root public key (EC P-256 JWK).")


@router.get("/.well-known/healthcode/trust-list")
def trust_list(
    request: Request, caller: Annotated[Caller, Depends(public("publish the trust list"))]
) -> JSONResponse:
    """This issuer's signed trust list (JWS, flattened JSON serialization)."""
    with unit_of_work(request, caller) as uow:
        document = publish_trust_list(uow)
    return _cached(document)


@router.get("/.well-known/healthcode/gateway-list")
def combined_list(
    request: Request, caller: Annotated[Caller, Depends(public("publish the gateway list"))]
) -> JSONResponse:
    """Every registered issuer's list as received, signed together by this gateway's root."""
    with unit_of_work(request, caller) as uow:
        document = gateway_list(uow)
    return _cached(document)


@router.post("/api/v1/gateway/issuers", status_code=201)
def register(
    body: IssuerRegistration,
    request: Request,
    caller: Annotated[
        Caller, Depends(allow(Role.SECURITY_ADMIN, purpose="register a trusted issuer's root"))
    ],
) -> dict[str, Any]:
    """Trust `issuer`'s lists when they verify under this root; registering again replaces it."""
    try:
        with unit_of_work(request, caller) as uow:
            registered = register_issuer(uow, body.issuer, body.root_jwk)
    except GatewayError:
        raise Refused(BAD_REGISTRATION) from None
    return {
        "issuer": registered.issuer,
        "root_kid": registered.root_jwk.get("kid"),
        "registered_at": display_instant(registered.registered_at),
    }


@router.post("/api/v1/gateway/trust-lists")
def submit(
    request: Request,
    caller: Annotated[
        Caller, Depends(public("receive a trust list, authenticated by its issuer's root"))
    ],
    document: Annotated[dict[str, Any], Body(description="The issuer's signed trust list.")],
) -> dict[str, Any]:
    """Keep an issuer's trust list once it verifies under its registered root."""
    with unit_of_work(request, caller) as uow:
        try:
            received: TrustList | None = submit_trust_list(uow, document)
        except GatewayError as error:
            received = None
            # Audited inside the transaction that commits: the reason stays in the log only.
            uow.audit("trust_list.receive", outcome="refused", detail=str(error)[:200])
    if received is None:
        raise Refused(REFUSED_LIST)
    return {
        "issuer": received.issuer,
        "issued_at": display_instant(received.issued_at),
        "keys": len(received.keys),
        "revoked": len(received.revoked),
    }


def _cached(document: dict[str, str]) -> JSONResponse:
    return JSONResponse(document, headers={"Cache-Control": f"public, max-age={CACHE_SECONDS}"})

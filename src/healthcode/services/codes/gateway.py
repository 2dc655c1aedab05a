"""Gateway mode (S1), as the EU DCC gateway does for member states.

Issuers are registered with their root public key (out of band, by an operator); each list they
submit must verify under that root and must not be older than the one held, so a replayed old list
cannot bring a revoked key back. The gateway serves every held list, as received, inside one
combined list signed by its own root (`healthcode.tokens.gateway_lists`).
"""

from __future__ import annotations

from typing import Any

from healthcode.db.trusted_issuers_store import StoredIssuer
from healthcode.domain.timezones import display_instant
from healthcode.services.codes.signing import active_signing_key, own_keys
from healthcode.services.codes.trust import forget_held_list
from healthcode.services.codes.trust_lists import publish_trust_list
from healthcode.services.runtime import UnitOfWork
from healthcode.tokens.gateway_lists import GATEWAY_LIST_TYPE
from healthcode.tokens.jwk import JwkError, public_jwk, public_key_from_jwk
from healthcode.tokens.jws import (
    JwsError,
    canonical_json,
    json_payload,
    sign_jws,
    unverified_payload,
)
from healthcode.tokens.keys import KeyPurpose, issuer_problem
from healthcode.tokens.trust_lists import (
    FORMAT,
    TrustList,
    TrustListError,
    verify_trust_list,
)


class GatewayError(ValueError):
    """A gateway operation refused; the message is one line saying why."""


def register_issuer(uow: UnitOfWork, issuer: str, root_jwk: object) -> StoredIssuer:
    """Trust `issuer`'s root key; registering again replaces the root and drops its old list."""
    problem = issuer_problem(issuer)
    if problem is not None:
        raise GatewayError(problem)
    if issuer == uow.runtime.settings.issuer:
        raise GatewayError(f"{issuer} is this installation's own issuer")
    try:
        root = public_jwk(public_key_from_jwk(root_jwk))
    except JwkError as error:
        raise GatewayError(f"the root key: {error}") from None
    store = uow.trusted_issuers
    replaced = store.register(issuer, root, uow.actor.name, uow.now)
    forget_held_list(uow, issuer)
    uow.audit(
        "trusted_issuer.register",
        f"issuer:{issuer}",
        detail=f"root={root['kid']} replaced={'yes' if replaced else 'no'}",
    )
    return StoredIssuer(issuer, root, uow.actor.name, uow.now, None, None)


def submit_trust_list(uow: UnitOfWork, document: object) -> TrustList:
    """Keep an issuer's list once it verifies under the registered root and is not older."""
    if not isinstance(document, dict):
        raise GatewayError("a trust list is a JSON object")
    issuer = _claimed_issuer(document)
    store = uow.trusted_issuers
    registered = store.get(issuer)
    if registered is None:
        raise GatewayError(f"issuer {issuer} is not registered with this gateway")
    try:
        received = verify_trust_list(document, registered.root_jwk)
    except TrustListError as error:
        raise GatewayError(f"{issuer}: {error}") from None
    if registered.trust_list is not None:
        held = verify_trust_list(registered.trust_list, registered.root_jwk)
        if received.issued_at < held.issued_at:
            raise GatewayError(
                f"{issuer}: the list was issued at {display_instant(received.issued_at)}, "
                f"before the one held ({display_instant(held.issued_at)})"
            )
    store.keep_list(issuer, document, uow.now)
    forget_held_list(uow, issuer)
    uow.audit(
        "trust_list.receive",
        f"issuer:{issuer}",
        detail=f"issued_at={display_instant(received.issued_at)} keys={len(received.keys)} "
        f"revoked={len(received.revoked)}",
    )
    return received


def gateway_list(uow: UnitOfWork) -> dict[str, str]:
    """The combined list of every held list (and this issuer's own, if it signs codes)."""
    documents: list[dict[str, Any]] = [
        registered.trust_list
        for registered in uow.trusted_issuers.all()
        if registered.trust_list is not None
    ]
    if any(key.purpose is KeyPurpose.CODE for key in own_keys(uow)):
        documents.append(publish_trust_list(uow))
    root = active_signing_key(uow, KeyPurpose.TRUST_LIST)
    payload = {
        "format": FORMAT,
        "gateway": root.issuer,
        "issued_at": display_instant(uow.now),
        "issuers": documents,
    }
    return sign_jws(canonical_json(payload), root.private_key, kid=root.kid, typ=GATEWAY_LIST_TYPE)


def _claimed_issuer(document: object) -> str:
    """Whose root to verify with, read from the payload before it is verified."""
    try:
        payload = json_payload(unverified_payload(document), "the trust list")
    except JwsError as error:
        raise GatewayError(f"the trust list: {error}") from None
    issuer = payload.get("issuer")
    if not isinstance(issuer, str) or issuer_problem(issuer) is not None:
        raise GatewayError("the trust list names no valid issuer")
    return issuer

"""Gateway lists (S1), as the EU DCC gateway serves member states: every registered issuer's trust
list, as received, inside one combined list signed by the gateway's root:

    {"format": 1, "gateway": ISSUER, "issued_at": INSTANT, "issuers": [signed trust list, …]}

A checkpoint that holds the gateway's root verifies the combined list once and then trusts the
lists inside it, so it can check codes of every registered issuer offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from healthcode.tokens.jws import JwsError, json_payload, protected_header, unverified_payload
from healthcode.tokens.trust_lists import (
    FORMAT,
    TRUST_LIST_TYPE,
    TrustList,
    TrustListError,
    instant,
    parse_trust_list,
    text,
    verify_signed,
)

GATEWAY_LIST_TYPE: Final = "healthcode-gateway-list+json"


@dataclass(frozen=True, slots=True)
class GatewayList:
    gateway: str
    issued_at: datetime
    lists: tuple[TrustList, ...]


def verify_gateway_list(document: object, root_public_jwk: object) -> GatewayList:
    """The lists in a combined list once it verifies under the gateway's root."""
    payload = verify_signed(document, root_public_jwk, GATEWAY_LIST_TYPE, "gateway list")
    if payload.get("format") != FORMAT:
        raise TrustListError(f"the gateway list is not format {FORMAT}")
    inner = payload.get("issuers")
    if not isinstance(inner, list):
        raise TrustListError("the gateway list: issuers is not a list")
    lists = tuple(_inner_list(item, index) for index, item in enumerate(inner))
    issuers = [listed.issuer for listed in lists]
    if len(set(issuers)) != len(issuers):
        raise TrustListError("the gateway list names an issuer twice")
    return GatewayList(
        text(payload, "gateway", "the gateway list"),
        instant(payload, "issued_at", "the gateway list"),
        lists,
    )


def _inner_list(document: object, index: int) -> TrustList:
    """A list inside a verified combined list: the gateway's signature vouches for it."""
    try:
        if protected_header(document)["typ"] != TRUST_LIST_TYPE:
            raise JwsError("not a trust list")
        payload = json_payload(unverified_payload(document), "the trust list")
    except JwsError as error:
        raise TrustListError(f"the gateway list: issuers[{index}]: {error}") from None
    return parse_trust_list(payload)

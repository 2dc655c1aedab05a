"""Trust lists (SPEC §3): an issuer's public keys, signed by its long-lived root key.

A trust list is a JWS (RFC 7515, flattened JSON serialization, ES256) over the payload

    {"format": 1, "issuer": "CN-33", "issued_at": INSTANT,
     "keys": [{"kid", "jwk", "purpose": "code"|"trust_list", "not_before": INSTANT,
               "not_after": INSTANT|null, "status": "active"|"retired"|"revoked"}],
     "revoked": [kid, …]}

`not_after` is null while a key signs, and once retired the instant its last code expires. The root
public JWK goes to gateways and checkpoints out of band (`healthcode trust-list root`); a list that
does not verify under it is refused whole. Members this version does not know are ignored, so later
versions can add some.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from healthcode.domain.timezones import display_instant
from healthcode.tokens.jwk import JwkError, key_id, public_jwk, public_key_from_jwk
from healthcode.tokens.jws import (
    JwsError,
    canonical_json,
    json_payload,
    protected_header,
    sign_jws,
    verify_jws,
)
from healthcode.tokens.keys import KeyPurpose, KeyStatus, SigningKey, TrustedKey, issuer_problem

FORMAT: Final = 1
TRUST_LIST_TYPE: Final = "healthcode-trust-list+json"


class TrustListError(ValueError):
    """A trust list that cannot be believed; the message is one line saying why."""


@dataclass(frozen=True, slots=True)
class TrustList:
    issuer: str
    issued_at: datetime
    keys: tuple[TrustedKey, ...]
    revoked: frozenset[str]

    def key(self, kid: str) -> TrustedKey | None:
        return next((key for key in self.keys if key.kid == kid), None)


def sign_trust_list(
    root: SigningKey, issued_at: datetime, keys: Sequence[TrustedKey]
) -> dict[str, str]:
    payload = {
        "format": FORMAT,
        "issuer": root.issuer,
        "issued_at": display_instant(issued_at),
        "keys": [_listed(key) for key in keys],
        "revoked": [key.kid for key in keys if key.status is KeyStatus.REVOKED],
    }
    return sign_jws(canonical_json(payload), root.private_key, kid=root.kid, typ=TRUST_LIST_TYPE)


def verify_trust_list(document: object, root_public_jwk: object) -> TrustList:
    """The list in `document` once it verifies under the issuer's root; TrustListError if not."""
    payload = verify_signed(document, root_public_jwk, TRUST_LIST_TYPE, "trust list")
    return parse_trust_list(payload)


def verify_signed(document: object, root_public_jwk: object, typ: str, what: str) -> dict[str, Any]:
    """The JSON payload of a signed `what` that verifies under the root; TrustListError if not."""
    try:
        root = public_key_from_jwk(root_public_jwk)
        header = protected_header(document)
        if header["kid"] != key_id(root):
            raise JwsError(f"signed by key {header['kid']}, not by the given root")
        return json_payload(verify_jws(document, root, typ=typ), f"the {what}")
    except JwkError as error:
        raise TrustListError(f"the root key: {error}") from None
    except JwsError as error:
        raise TrustListError(f"the {what}: {error}") from None


def parse_trust_list(payload: Mapping[str, Any]) -> TrustList:
    """A verified payload checked member by member; TrustListError names the first problem."""
    if payload.get("format") != FORMAT:
        raise TrustListError(f"the trust list is not format {FORMAT}")
    issuer = text(payload, "issuer", "the trust list")
    problem = issuer_problem(issuer)
    if problem is not None:
        raise TrustListError(f"the trust list: {problem}")
    revoked = payload.get("revoked")
    if not isinstance(revoked, list) or not all(isinstance(kid, str) for kid in revoked):
        raise TrustListError("the trust list: revoked is not a list of key ids")
    entries = payload.get("keys")
    if not isinstance(entries, list):
        raise TrustListError("the trust list: keys is not a list")
    keys = tuple(
        _key(entry, issuer, frozenset(revoked), f"keys[{index}]")
        for index, entry in enumerate(entries)
    )
    return TrustList(
        issuer, instant(payload, "issued_at", "the trust list"), keys, frozenset(revoked)
    )


def text(mapping: Mapping[str, Any], name: str, where: str) -> str:
    value = mapping.get(name)
    if not isinstance(value, str) or not value:
        raise TrustListError(f"{where}: {name} is missing or not text")
    return value


def instant(mapping: Mapping[str, Any], name: str, where: str) -> datetime:
    value = text(mapping, name, where)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise TrustListError(f"{where}: {name} is not an ISO 8601 instant with an offset")
    return moment


def _listed(key: TrustedKey) -> dict[str, object]:
    return {
        "kid": key.kid,
        "jwk": public_jwk(key.public_key),
        "purpose": key.purpose.value,
        "not_before": display_instant(key.not_before),
        "not_after": display_instant(key.not_after),
        "status": key.status.value,
    }


def _key(entry: object, issuer: str, revoked: frozenset[str], where: str) -> TrustedKey:
    if not isinstance(entry, Mapping):
        raise TrustListError(f"the trust list: {where} is not an object")
    kid = text(entry, "kid", where)
    jwk = entry.get("jwk")
    if not isinstance(jwk, Mapping):
        raise TrustListError(f"the trust list: {where}: jwk is not an object")
    try:
        # The entry's kid must be the key id of its key: a list cannot rename a key.
        public_key = public_key_from_jwk({**jwk, "kid": kid})
    except JwkError as error:
        raise TrustListError(f"the trust list: {where}: {error}") from None
    purpose = KeyPurpose(_member(entry, "purpose", KeyPurpose, where))
    status = KeyStatus(_member(entry, "status", KeyStatus, where))
    not_after = None if entry.get("not_after") is None else instant(entry, "not_after", where)
    return TrustedKey(
        issuer=issuer,
        kid=kid,
        public_key=public_key,
        purpose=purpose,
        not_before=instant(entry, "not_before", where),
        not_after=not_after,
        # A kid in `revoked` is revoked whatever its entry says: a revocation is never undone.
        status=KeyStatus.REVOKED if kid in revoked else status,
    )


def _member(entry: Mapping[str, Any], name: str, kind: type[StrEnum], where: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or value not in {member.value for member in kind}:
        raise TrustListError(f"the trust list: {where}: unknown {name} {value!r}")
    return str(value)

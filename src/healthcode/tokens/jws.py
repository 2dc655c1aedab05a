"""JWS in the flattened JSON serialization (RFC 7515 §7.2.2), ES256 only, for trust lists.

One algorithm, like the tokens' COSE layer: a header naming anything else is refused before a key
is touched. Everything the verifier relies on (algorithm, key id, type) is in the protected header;
a document with any member beyond `protected`, `payload` and `signature` is refused, so nothing
unsigned rides along.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from healthcode.tokens.base64url import b64url_decode, b64url_encode

ES256: Final = "ES256"
_MEMBERS: Final = frozenset(["protected", "payload", "signature"])
_COORDINATE_BYTES: Final = 32


class JwsError(ValueError):
    """A document that is not a valid signed JWS; the message says why, in one line."""


def canonical_json(value: object) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sign_jws(
    payload: bytes, private_key: ec.EllipticCurvePrivateKey, *, kid: str, typ: str
) -> dict[str, str]:
    protected = b64url_encode(canonical_json({"alg": ES256, "kid": kid, "typ": typ}))
    encoded_payload = b64url_encode(payload)
    der = private_key.sign(f"{protected}.{encoded_payload}".encode("ascii"), _ECDSA)
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(_COORDINATE_BYTES, "big") + s.to_bytes(_COORDINATE_BYTES, "big")
    return {"protected": protected, "payload": encoded_payload, "signature": b64url_encode(raw)}


def protected_header(document: object) -> dict[str, Any]:
    """The protected header, read but not verified: to choose the key to verify with."""
    header = _json_object(_part(_members(document), "protected"), "the protected header")
    if header.get("alg") != ES256:
        raise JwsError(f"algorithm {header.get('alg')!r} is not {ES256}")
    if "crit" in header:
        raise JwsError("critical header parameters are not supported")
    if not isinstance(header.get("kid"), str) or not isinstance(header.get("typ"), str):
        raise JwsError("the protected header names no kid or no typ")
    return header


def unverified_payload(document: object) -> bytes:
    """The payload, not verified: only to learn whose root to verify it with."""
    return _part(_members(document), "payload")


def verify_jws(document: object, public_key: ec.EllipticCurvePublicKey, *, typ: str) -> bytes:
    """The payload of `document` once its signature verifies under `public_key`."""
    members = _members(document)
    header = protected_header(document)
    if header["typ"] != typ:
        raise JwsError(f"a {header['typ']} document where a {typ} was expected")
    signature = _part(members, "signature")
    if len(signature) != 2 * _COORDINATE_BYTES:
        raise JwsError("an ES256 signature is 64 bytes")
    der = encode_dss_signature(
        int.from_bytes(signature[:_COORDINATE_BYTES], "big"),
        int.from_bytes(signature[_COORDINATE_BYTES:], "big"),
    )
    signing_input = f"{members['protected']}.{members['payload']}".encode("ascii")
    try:
        public_key.verify(der, signing_input, _ECDSA)
    except InvalidSignature:
        raise JwsError("the signature does not verify under the given key") from None
    return _part(members, "payload")


def json_payload(payload: bytes, what: str) -> dict[str, Any]:
    return _json_object(payload, what)


_ECDSA: Final = ec.ECDSA(hashes.SHA256())


def _members(document: object) -> Mapping[str, object]:
    if not isinstance(document, Mapping) or document.keys() != _MEMBERS:
        raise JwsError("not a flattened JWS: exactly protected, payload and signature")
    return document


def _part(members: Mapping[str, object], name: str) -> bytes:
    value = members[name]
    if not isinstance(value, str):
        raise JwsError(f"{name} is not text")
    try:
        return b64url_decode(value)
    except ValueError:
        raise JwsError(f"{name} is not base64url") from None


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise JwsError(f"{what} is not UTF-8 JSON") from None
    if not isinstance(value, dict):
        raise JwsError(f"{what} is not a JSON object")
    return value

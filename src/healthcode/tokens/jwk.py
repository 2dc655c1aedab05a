"""P-256 public keys as JWK (RFC 7517/7518), and key ids in the manner of the EU DCC.

A key id is the first 8 bytes of SHA-256 over the key's DER SubjectPublicKeyInfo: it names the key
itself, so two issuers cannot publish the same id for different keys by accident, and anyone holding
the public key can recompute it. In a COSE header it is the 8 bytes; everywhere else, base64url.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from healthcode.tokens.base64url import b64url_decode, b64url_encode

KID_BYTES: Final = 8
_COORDINATE_BYTES: Final = 32
_UNCOMPRESSED_POINT: Final = b"\x04"
_PRIVATE_MEMBERS: Final = frozenset(["d", "p", "q", "dp", "dq", "qi", "k"])


class JwkError(ValueError):
    """A JWK that is not a usable P-256 public signing key; the message says why, in one line."""


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    return b64url_encode(key_id_bytes(public_key))


def key_id_bytes(public_key: ec.EllipticCurvePublicKey) -> bytes:
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).digest()[:KID_BYTES]


def public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The public key as a JWK naming its key id and its one use: ES256 signatures."""
    point = public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url_encode(point[1 : 1 + _COORDINATE_BYTES]),
        "y": b64url_encode(point[1 + _COORDINATE_BYTES :]),
        "kid": key_id(public_key),
        "alg": "ES256",
        "use": "sig",
    }


def public_key_from_jwk(jwk: object) -> ec.EllipticCurvePublicKey:
    """The key a JWK describes, checked: P-256, on the curve, public only, its kid its own."""
    if not isinstance(jwk, Mapping):
        raise JwkError("a JWK is a JSON object")
    if _PRIVATE_MEMBERS & jwk.keys():
        raise JwkError("the JWK holds private key material; only the public half may be shared")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise JwkError("only EC keys on P-256 (kty EC, crv P-256) are accepted")
    if jwk.get("alg", "ES256") != "ES256" or jwk.get("use", "sig") != "sig":
        raise JwkError("the key is not for ES256 signatures")
    point = _UNCOMPRESSED_POINT + _coordinate(jwk, "x") + _coordinate(jwk, "y")
    try:
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise JwkError("the point is not on P-256") from None
    if "kid" in jwk and jwk["kid"] != key_id(public_key):
        raise JwkError("its kid is not the key id of its key")
    return public_key


def _coordinate(jwk: Mapping[object, object], name: str) -> bytes:
    value = jwk.get(name)
    try:
        data = b64url_decode(value) if isinstance(value, str) else b""
    except ValueError:
        data = b""
    if len(data) != _COORDINATE_BYTES:
        raise JwkError(f"{name} is not a 32-byte base64url coordinate")
    return data

"""The code on the wire (SPEC §3): `HZ1:` + Base45(zlib(COSE_Sign1(CWT claims))).

Reading undoes one layer at a time and says which layer failed; checking needs the issuer's
public key, which the trust layer finds from `UnverifiedToken.issuer` and `.kid`.
"""

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from cryptography.hazmat.primitives.asymmetric import ec

from healthcode.tokens.base45 import b45decode, b45encode
from healthcode.tokens.claims import CodeClaims, decode_claims, encode_claims
from healthcode.tokens.cose import Sign1, parse_sign1, sign1, verify_sign1
from healthcode.tokens.errors import Rejection, TokenError

__all__ = [
    "PREFIX",
    "Rejection",
    "TokenError",
    "UnverifiedToken",
    "check_token",
    "issue_token",
    "read_token",
]

# Upper case: QR alphanumeric mode has no lower-case letters. The digit is the format version.
PREFIX: Final = "HZ1:"
# The most characters any QR code holds (version 40, level L, alphanumeric): longer text was never
# scanned from one, and refusing it early bounds the work a hostile input can cause.
MAX_TEXT_LENGTH: Final = 4296
# A real token inflates to ~200 bytes; the cap stops a zip bomb long before memory is at risk.
MAX_INFLATED_BYTES: Final = 4096
DEFAULT_LEEWAY: Final = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class UnverifiedToken:
    """A token read but not yet checked: nothing in it may be trusted before `check_token`."""

    kid: bytes
    issuer: str
    claims: CodeClaims
    sign1: Sign1


def issue_token(claims: CodeClaims, kid: bytes, private_key: ec.EllipticCurvePrivateKey) -> str:
    return wrap(PREFIX, encode_claims(claims), kid, private_key)


def read_token(text: str) -> UnverifiedToken:
    """The layers of `text` undone; `TokenError` says which one failed."""
    message = unwrap(PREFIX, text, "a health code")
    claims = decode_claims(message.payload)
    return UnverifiedToken(kid=message.kid, issuer=claims.issuer, claims=claims, sign1=message)


def wrap(prefix: str, payload: bytes, kid: bytes, private_key: ec.EllipticCurvePrivateKey) -> str:
    """`prefix` + Base45(zlib(COSE_Sign1(payload))): the layers every signed paper shares."""
    return prefix + b45encode(zlib.compress(sign1(payload, kid, private_key), level=9))


def unwrap(prefix: str, text: str, what: str) -> Sign1:
    """The signed message inside `text`, not yet verified; `TokenError` names the failed layer."""
    if not text.startswith(prefix):
        raise TokenError(Rejection.BAD_PREFIX, f"{what} starts with {prefix}")
    if len(text) > MAX_TEXT_LENGTH:
        raise TokenError(Rejection.BAD_ENCODING, "longer than any QR code holds")
    return parse_sign1(inflate(b45decode(text[len(prefix) :])))


def check_token(
    token: UnverifiedToken,
    public_key: ec.EllipticCurvePublicKey,
    now: datetime,
    *,
    leeway: timedelta = DEFAULT_LEEWAY,
) -> Rejection | None:
    """Why `token` is not valid at `now` under `public_key`, or None if it is.

    The leeway absorbs clock drift between the issuing server and an offline checkpoint.
    """
    claims = token.claims
    return check_signed(token.sign1, public_key, claims.issued_at, claims.expires_at, now, leeway)


def check_signed(
    message: Sign1,
    public_key: ec.EllipticCurvePublicKey,
    issued_at: datetime,
    expires_at: datetime,
    now: datetime,
    leeway: timedelta = DEFAULT_LEEWAY,
) -> Rejection | None:
    """Why a signed message valid from `issued_at` to `expires_at` is not valid at `now`."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not verify_sign1(message, public_key):
        return Rejection.BAD_SIGNATURE
    # Written so that no far-future exp can overflow datetime.
    if now - leeway > expires_at:
        return Rejection.EXPIRED
    if issued_at > now + leeway:
        return Rejection.NOT_YET_VALID
    return None


def inflate(compressed: bytes, limit: int = MAX_INFLATED_BYTES) -> bytes:
    """One whole zlib stream inflated to at most `limit` bytes; `TokenError` (bad_compression)."""
    inflater = zlib.decompressobj()
    try:
        inflated = inflater.decompress(compressed, limit + 1)
    except zlib.error as error:
        raise TokenError(Rejection.BAD_COMPRESSION, f"not a zlib stream: {error}") from error
    if len(inflated) > limit:
        raise TokenError(Rejection.BAD_COMPRESSION, f"inflates past {limit} bytes")
    if not inflater.eof:
        raise TokenError(Rejection.BAD_COMPRESSION, "the zlib stream is cut short")
    if inflater.unused_data:
        raise TokenError(Rejection.BAD_COMPRESSION, "bytes after the zlib stream")
    return inflated

"""Paper certificates on the wire (S4): `HZC1:` + Base45(zlib(COSE_Sign1(CWT claims))).

The same layers as the health code (`healthcode.tokens`), signed with the same ES256 code keys,
so one verifier stack and one trust list serve both; a distinct prefix and a distinct private claim
keep a certificate from ever being read as a code. Standard claims say who issued it, for which
pseudonymous subject and for how long; the private claim -65537 (RFC 8392 private use, below
-65536) holds the institution, its kind, the statement and the masked name. No identity number,
phone or full name is in it (D2).
"""

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec

from healthcode.domain.certificates import InstitutionKind, Statement
from healthcode.tokens.base45 import b45decode, b45encode
from healthcode.tokens.codec import DEFAULT_LEEWAY, MAX_INFLATED_BYTES, MAX_TEXT_LENGTH
from healthcode.tokens.cose import Sign1, decode_cbor, parse_sign1, sign1, verify_sign1
from healthcode.tokens.errors import Rejection, TokenError

PREFIX: Final = "HZC1:"
ISSUER: Final = 1
SUBJECT: Final = 2
EXPIRES_AT: Final = 4
ISSUED_AT: Final = 6
CERTIFICATE: Final = -65537
INSTITUTION: Final = "i"
KIND: Final = "k"
STATEMENT: Final = "s"
MASKED_NAME: Final = "n"

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_LAST_SECOND: Final = 253_402_300_799


@dataclass(frozen=True, slots=True)
class CertificateClaims:
    issuer: str
    subject: str  # a fresh random pseudonym per certificate
    issued_at: datetime
    expires_at: datetime
    institution: str  # the registered institution's id
    kind: InstitutionKind
    statement: Statement
    masked_name: str | None  # None when no name is on file: staff then rely on the ID document

    def __post_init__(self) -> None:
        if self.issued_at.utcoffset() is None or self.expires_at.utcoffset() is None:
            raise ValueError("certificate times must be timezone-aware")
        if self.expires_at <= self.issued_at:
            raise ValueError("a certificate must expire after it is issued")
        if self.masked_name is not None and "*" not in self.masked_name:
            raise ValueError("the name must be masked before it is signed (D2)")


@dataclass(frozen=True, slots=True)
class UnverifiedCertificate:
    """Read but not checked: nothing in it may be trusted before `check_certificate_signature`."""

    kid: bytes
    claims: CertificateClaims
    sign1: Sign1


def sign_certificate(
    claims: CertificateClaims, kid: bytes, private_key: ec.EllipticCurvePrivateKey
) -> str:
    private = {
        INSTITUTION: claims.institution,
        KIND: claims.kind.value,
        STATEMENT: claims.statement.value,
    }
    if claims.masked_name is not None:
        private[MASKED_NAME] = claims.masked_name
    payload = cbor2.dumps(
        {
            ISSUER: claims.issuer,
            SUBJECT: claims.subject,
            EXPIRES_AT: _seconds(claims.expires_at),
            ISSUED_AT: _seconds(claims.issued_at),
            CERTIFICATE: private,
        },
        canonical=True,
    )
    return PREFIX + b45encode(zlib.compress(sign1(payload, kid, private_key), level=9))


def read_certificate(text: str) -> UnverifiedCertificate:
    """The layers of `text` undone; `TokenError` says which one failed."""
    if not text.startswith(PREFIX):
        raise TokenError(Rejection.BAD_PREFIX, f"a paper certificate starts with {PREFIX}")
    if len(text) > MAX_TEXT_LENGTH:
        raise TokenError(Rejection.BAD_ENCODING, "longer than any QR code holds")
    message = parse_sign1(_inflate(b45decode(text[len(PREFIX) :])))
    return UnverifiedCertificate(message.kid, _claims(message.payload), message)


def check_certificate_signature(
    certificate: UnverifiedCertificate, public_key: ec.EllipticCurvePublicKey, now: datetime
) -> Rejection | None:
    """Why the certificate is not valid at `now` under `public_key`, or None if it is."""
    if not verify_sign1(certificate.sign1, public_key):
        return Rejection.BAD_SIGNATURE
    if now - DEFAULT_LEEWAY > certificate.claims.expires_at:
        return Rejection.EXPIRED
    if certificate.claims.issued_at > now + DEFAULT_LEEWAY:
        return Rejection.NOT_YET_VALID
    return None


def _claims(payload: bytes) -> CertificateClaims:
    claims = _map(decode_cbor(payload), "the claim set")
    private = _map(claims.get(CERTIFICATE), f"claim {CERTIFICATE}")
    issued_at = _instant(claims.get(ISSUED_AT), "iat")
    expires_at = _instant(claims.get(EXPIRES_AT), "exp")
    masked_name = private.get(MASKED_NAME)
    try:
        return CertificateClaims(
            issuer=_text(claims.get(ISSUER), "iss"),
            subject=_text(claims.get(SUBJECT), "sub"),
            issued_at=issued_at,
            expires_at=expires_at,
            institution=_text(private.get(INSTITUTION), "institution"),
            kind=InstitutionKind(_text(private.get(KIND), "kind")),
            statement=Statement(_text(private.get(STATEMENT), "statement")),
            masked_name=None if masked_name is None else _text(masked_name, "masked name"),
        )
    except ValueError as error:  # an unknown kind or statement, times out of order
        raise _malformed(str(error)) from error


def _inflate(compressed: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        inflated = inflater.decompress(compressed, MAX_INFLATED_BYTES + 1)
    except zlib.error as error:
        raise TokenError(Rejection.BAD_COMPRESSION, f"not a zlib stream: {error}") from error
    if len(inflated) > MAX_INFLATED_BYTES or not inflater.eof or inflater.unused_data:
        raise TokenError(Rejection.BAD_COMPRESSION, "not one whole zlib stream of a token's size")
    return inflated


def _seconds(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(seconds=1)


def _instant(value: object, name: str) -> datetime:
    if type(value) is not int or not 0 <= value <= _LAST_SECOND:
        raise _malformed(f"{name} is not a NumericDate in whole seconds")
    return _EPOCH + timedelta(seconds=value)


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise _malformed(f"{name} is missing or not text")
    return value


def _map(value: object, name: str) -> Mapping[object, object]:
    if not isinstance(value, Mapping):
        raise _malformed(f"{name} is not a map")
    return value


def _malformed(detail: str) -> TokenError:
    return TokenError(Rejection.BAD_STRUCTURE, detail)

"""Paper certificates on the wire (S4): `HZC1:` + Base45(zlib(COSE_Sign1(CWT claims))).

The same layers as the health code (`healthcode.tokens`), signed with the same ES256 code keys,
so one verifier stack and one trust list serve both; a distinct prefix and a distinct private claim
keep a certificate from ever being read as a code. Standard claims say who issued it, for which
pseudonymous subject and for how long; the private claim -65537 (RFC 8392 private use, below
-65536) holds the institution, its kind, the statement and the masked name. No identity number,
phone or full name is in it (D2).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Final

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec

from healthcode.domain.certificates import InstitutionKind, Statement
from healthcode.tokens.claims import (
    claim_map,
    claim_text,
    from_numeric_date,
    malformed,
    numeric_date,
)
from healthcode.tokens.codec import check_signed, unwrap, wrap
from healthcode.tokens.cose import Sign1, decode_cbor
from healthcode.tokens.errors import Rejection

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
            EXPIRES_AT: numeric_date(claims.expires_at),
            ISSUED_AT: numeric_date(claims.issued_at),
            CERTIFICATE: private,
        },
        canonical=True,
    )
    return wrap(PREFIX, payload, kid, private_key)


def read_certificate(text: str) -> UnverifiedCertificate:
    """The layers of `text` undone; `TokenError` says which one failed."""
    message = unwrap(PREFIX, text, "a paper certificate")
    return UnverifiedCertificate(message.kid, _claims(message.payload), message)


def check_certificate_signature(
    certificate: UnverifiedCertificate, public_key: ec.EllipticCurvePublicKey, now: datetime
) -> Rejection | None:
    """Why the certificate is not valid at `now` under `public_key`, or None if it is."""
    claims = certificate.claims
    return check_signed(certificate.sign1, public_key, claims.issued_at, claims.expires_at, now)


def _claims(payload: bytes) -> CertificateClaims:
    claims = claim_map(decode_cbor(payload), "the claim set")
    private = claim_map(claims.get(CERTIFICATE), f"claim {CERTIFICATE}")
    issued_at = from_numeric_date(claims.get(ISSUED_AT), "iat")
    expires_at = from_numeric_date(claims.get(EXPIRES_AT), "exp")
    masked_name = private.get(MASKED_NAME)
    try:
        return CertificateClaims(
            issuer=claim_text(claims.get(ISSUER), "iss"),
            subject=claim_text(claims.get(SUBJECT), "sub"),
            issued_at=issued_at,
            expires_at=expires_at,
            institution=claim_text(private.get(INSTITUTION), "institution"),
            kind=InstitutionKind(claim_text(private.get(KIND), "kind")),
            statement=Statement(claim_text(private.get(STATEMENT), "statement")),
            masked_name=None if masked_name is None else claim_text(masked_name, "masked name"),
        )
    except ValueError as error:  # an unknown kind or statement, times out of order
        raise malformed(str(error)) from error

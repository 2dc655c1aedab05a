"""Keys, lists and codes for the pure tests of `healthcode.codes` (no database)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ec

from builders import march
from healthcode.domain.rules import Colour
from healthcode.tokens import CodeClaims, CodeVersion, Medium, issue_token
from healthcode.tokens.jwk import key_id, public_jwk
from healthcode.tokens.keys import KeyPurpose, KeyStatus, SigningKey, TrustedKey
from healthcode.tokens.trust_lists import TrustList, sign_trust_list, verify_trust_list

ISSUED = march(20)


def signing_key(issuer: str = "CN-32") -> SigningKey:
    private_key = ec.generate_private_key(ec.SECP256R1())
    return SigningKey(key_id(private_key.public_key()), issuer, private_key)


def trusted(
    key: SigningKey,
    purpose: KeyPurpose = KeyPurpose.CODE,
    status: KeyStatus = KeyStatus.ACTIVE,
    not_after: datetime | None = None,
) -> TrustedKey:
    return TrustedKey(
        key.issuer, key.kid, key.public_key, purpose, ISSUED - timedelta(days=1), not_after, status
    )


def signed_list(
    root: SigningKey, keys: list[TrustedKey], issued_at: datetime = ISSUED
) -> dict[str, str]:
    return sign_trust_list(root, issued_at, [trusted(root, KeyPurpose.TRUST_LIST), *keys])


def read_list(document: dict[str, str], root: SigningKey) -> TrustList:
    return verify_trust_list(document, public_jwk(root.public_key))


def code(
    key: SigningKey,
    colour: Colour = Colour.GREEN,
    *,
    issuer: str | None = None,
    flags: tuple[str, ...] = (),
    version: CodeVersion = CodeVersion.DOMESTIC,
    issued_at: datetime = ISSUED,
) -> str:
    claims = CodeClaims(
        issuer=issuer or key.issuer,
        subject="q0Yk3n8XbT2mWcR5vLp9Ha",
        issued_at=issued_at,
        expires_at=issued_at + timedelta(minutes=5),
        colour=colour,
        flags=flags,
        version=version,
        masked_name="王*明",
        medium=Medium.PHONE,
    )
    return issue_token(claims, key.kid_bytes, key.private_key)

"""Public keys as a verifier knows them: whose, for what, and when they verify (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric import ec

from healthcode.tokens import Rejection
from healthcode.tokens.base64url import b64url_decode


class KeyPurpose(StrEnum):
    CODE = "code"  # signs codes (and paper certificates)
    TRUST_LIST = "trust_list"  # the issuer's root: signs its trust list; long-lived


class KeyStatus(StrEnum):
    ACTIVE = "active"  # signs now
    RETIRED = "retired"  # signs no more; verifies until the codes it signed have expired
    REVOKED = "revoked"  # verifies nothing


@dataclass(frozen=True, slots=True)
class TrustedKey:
    issuer: str
    kid: str
    public_key: ec.EllipticCurvePublicKey
    purpose: KeyPurpose
    not_before: datetime
    not_after: datetime | None  # None while the key still signs
    status: KeyStatus

    def rejection_at(self, now: datetime, leeway: timedelta) -> Rejection | None:
        """Why the key verifies no code at `now`, or None.

        Past `not_after` every code the key signed has expired, so that is what the holder hears;
        the leeway is the one the token check allows for clock drift.
        """
        if self.status is KeyStatus.REVOKED:
            return Rejection.REVOKED
        if now + leeway < self.not_before:
            return Rejection.NOT_YET_VALID
        if self.not_after is not None and now - leeway > self.not_after:
            return Rejection.EXPIRED
        return None


def verification_end(retired_at: datetime | None, longest_validity: timedelta) -> datetime | None:
    """When a retired key's last code expires: retirement plus the longest validity of a code."""
    return None if retired_at is None else retired_at + longest_validity


# ISO 3166-1 alpha-2, optionally a subdivision (ISO 3166-2: CN-33 Zhejiang, CN-32 Jiangsu); `CN`
# alone is the national platform. At most 16 characters, as stored.
_ISSUER = re.compile(r"[A-Z]{2}(?:-[A-Z0-9]{1,13})?")


def issuer_problem(issuer: str) -> str | None:
    if not _ISSUER.fullmatch(issuer):
        return f"issuer {issuer!r} is not an ISO 3166 code such as CN-33 or CN"
    return None


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A key this installation signs with. `kid` is base64url; COSE headers carry `kid_bytes`."""

    kid: str
    issuer: str
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)

    @property
    def kid_bytes(self) -> bytes:
        return b64url_decode(self.kid)

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self.private_key.public_key()

"""Time-based one-time passwords (RFC 6238 over RFC 4226): the staff's second factor."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from urllib.parse import quote

STEP_SECONDS = 30
DIGITS = 6
# One step either side: a phone's clock a little off still signs in.
WINDOW = 1


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def code_at(secret: str, instant: datetime, offset: int = 0) -> str:
    counter = int(instant.timestamp()) // STEP_SECONDS + offset
    digest = hmac.new(_key(secret), counter.to_bytes(8, "big"), hashlib.sha1).digest()
    start = digest[-1] & 0x0F
    value = int.from_bytes(digest[start : start + 4], "big") & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def code_matches(secret: str, code: str, instant: datetime) -> bool:
    candidates = (code_at(secret, instant, offset) for offset in range(-WINDOW, WINDOW + 1))
    # Every candidate is compared, in constant time, so timing tells nothing about which matched.
    return sum(hmac.compare_digest(candidate, code.strip()) for candidate in candidates) > 0


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from a QR code."""
    label = quote(f"{issuer}:{account}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer)}&digits={DIGITS}"


def _key(secret: str) -> bytes:
    return base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)

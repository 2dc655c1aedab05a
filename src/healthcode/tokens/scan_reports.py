"""Scan reports signed by the scanner that made them (D2): how a device proves itself.

A registered device holds its own P-256 key; the platform holds the public half (JWK). For each
scan the device sends a COSE_Sign1 (ES256, the same minimal COSE layer as the codes) whose
protected header names the device id as `kid` and whose payload is a CBOR map:

| key | value |
|---|---|
| `dev` | the device id (must equal the `kid` and the device the request is sent for) |
| `at` | when the device scanned: whole seconds since 1970 UTC |
| `dec` | what the device's verification decided: `allow`, `deny`, `not_checked`, `rejected` |
| `sub` | the code's pseudonymous subject, from a verified code; absent when rejected |
| `tok` | SHA-256 of the QR text as scanned (32 bytes); present when there is no subject |
| `n` | a nonce: 16 to 32 random bytes, fresh for every report (since issue #11) |

The platform accepts a report once: it keeps each device's nonces while a report could still be
fresh and refuses a report whose nonce it has seen, without counting it against the device (a
captured report resent must not get the genuine device flagged). A report without `n` is read but
refused by the platform with that reason.

`rejected` means the code was unreadable or invalid. So a device signs over (device id, subject or
token hash, time, decision). Nothing else about the holder is sent: the subject is already a
rotating pseudonym, and the hash of a random token says nothing of its holder.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec

from healthcode.tokens.cose import Sign1, decode_cbor, parse_sign1, sign1, verify_sign1
from healthcode.tokens.errors import TokenError

DEVICE: Final = "dev"
AT: Final = "at"
DECISION: Final = "dec"
SUBJECT: Final = "sub"
TOKEN_DIGEST: Final = "tok"  # noqa: S105 - a CBOR map key, not a secret
NONCE: Final = "n"
NONCE_BYTES: Final = range(16, 33)  # the width of scan_nonces.nonce at most
DIGEST_BYTES: Final = 32
MAX_SUBJECT_LENGTH: Final = 32  # the width of scans.subject
MAX_REQUEST_BYTES: Final = 1024

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_LAST_SECOND: Final = 253_402_300_799


class ScanDecision(StrEnum):
    """What a scan ended in. The device reports the first four; `throttled` is the platform's."""

    ALLOW = "allow"
    DENY = "deny"
    NOT_CHECKED = "not_checked"
    REJECTED = "rejected"  # unreadable or invalid code: counted to detect probing
    THROTTLED = "throttled"  # refused by the platform (anti-harvesting)


REPORTED: Final = frozenset(ScanDecision) - {ScanDecision.THROTTLED}


class ScanRequestError(ValueError):
    """A scan request that is not a well-formed, signed report of a scan; one line, no content."""


@dataclass(frozen=True, slots=True)
class ScanRequest:
    device_id: str
    scanned_at: datetime
    decision: ScanDecision
    subject: str | None = None
    token_digest: bytes | None = None
    nonce: bytes | None = None  # None only in a report read from a device of the old format

    def __post_init__(self) -> None:
        if self.decision not in REPORTED:
            raise ScanRequestError(f"a device cannot report {self.decision.value}")
        if self.subject is None and self.token_digest is None:
            raise ScanRequestError("a scan report names the code's subject or its hash")
        if self.subject is not None and not 0 < len(self.subject) <= MAX_SUBJECT_LENGTH:
            raise ScanRequestError(f"a subject is 1 to {MAX_SUBJECT_LENGTH} characters")
        if self.token_digest is not None and len(self.token_digest) != DIGEST_BYTES:
            raise ScanRequestError("the token hash is a 32-byte SHA-256 digest")
        if self.decision is ScanDecision.REJECTED and self.subject is not None:
            raise ScanRequestError("a rejected code has no verified subject")
        if self.nonce is not None and len(self.nonce) not in NONCE_BYTES:
            raise ScanRequestError("the nonce is 16 to 32 bytes")


def token_digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def sign_scan_request(request: ScanRequest, private_key: ec.EllipticCurvePrivateKey) -> bytes:
    """What a device sends: its report signed with its own key (also used by tests and tools).

    A request without a nonce is given a fresh random one: every signed report is a new report.
    """
    payload: dict[str, object] = {
        DEVICE: request.device_id,
        AT: (request.scanned_at - _EPOCH) // timedelta(seconds=1),
        DECISION: request.decision.value,
        NONCE: request.nonce if request.nonce is not None else secrets.token_bytes(16),
    }
    if request.subject is not None:
        payload[SUBJECT] = request.subject
    if request.token_digest is not None:
        payload[TOKEN_DIGEST] = request.token_digest
    return sign1(cbor2.dumps(payload, canonical=True), request.device_id.encode(), private_key)


def read_scan_request(data: bytes) -> tuple[ScanRequest, Sign1]:
    """The report in `data`, not yet verified; `ScanRequestError` for anything malformed."""
    if len(data) > MAX_REQUEST_BYTES:
        raise ScanRequestError("longer than any scan report")
    try:
        message = parse_sign1(data)
        payload = decode_cbor(message.payload)
    except TokenError as error:
        raise ScanRequestError(f"not a signed scan report ({error.rejection})") from None
    if not isinstance(payload, Mapping):
        raise ScanRequestError("the report is not a map")
    request = ScanRequest(
        device_id=_text(payload.get(DEVICE), DEVICE),
        scanned_at=_instant(payload.get(AT)),
        decision=_decision(payload.get(DECISION)),
        subject=_optional_text(payload.get(SUBJECT)),
        token_digest=_optional_bytes(payload.get(TOKEN_DIGEST), "the token hash"),
        nonce=_optional_bytes(payload.get(NONCE), "the nonce"),
    )
    if message.kid != request.device_id.encode():
        raise ScanRequestError("the key id is not the reporting device")
    return request, message


def signed_by(message: Sign1, public_key: ec.EllipticCurvePublicKey) -> bool:
    return verify_sign1(message, public_key)


def _decision(value: object) -> ScanDecision:
    try:
        return ScanDecision(_text(value, DECISION))
    except ValueError:
        raise ScanRequestError("unknown decision") from None


def _instant(value: object) -> datetime:
    if type(value) is not int or not 0 <= value <= _LAST_SECOND:
        raise ScanRequestError("the scan time is not whole seconds since 1970")
    return _EPOCH + timedelta(seconds=value)


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ScanRequestError(f"{name} is missing or not text")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value, SUBJECT)


def _optional_bytes(value: object, what: str) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, bytes):
        raise ScanRequestError(f"{what} is not a byte string")
    return value

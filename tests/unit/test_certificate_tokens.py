"""Paper certificates and scan reports on the wire (S4, D2): round trips, tampering, fuzzing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from builders import march
from healthcode.domain.certificates import REFUSALS, InstitutionKind, Statement
from healthcode.tokens import Rejection, TokenError
from healthcode.tokens.base45 import ALPHABET
from healthcode.tokens.certificates import (
    PREFIX,
    CertificateClaims,
    check_certificate_signature,
    read_certificate,
    sign_certificate,
)
from healthcode.tokens.scan_reports import (
    ScanDecision,
    ScanRequest,
    ScanRequestError,
    read_scan_request,
    sign_scan_request,
    signed_by,
    token_digest,
)

KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())
KID = bytes.fromhex("0011223344556677")
ISSUED = march(20)
CLAIMS = CertificateClaims(
    issuer="CN-33",
    subject="c3ViamVjdC1wc2V1ZG9ueW0",
    issued_at=ISSUED,
    expires_at=ISSUED + timedelta(days=7),
    institution="xihu-lingyin",
    kind=InstitutionKind.COMMUNITY,
    statement=Statement.LOW_RISK_RESIDENT,
    masked_name="赵*英",
)
TEXT = sign_certificate(CLAIMS, KID, KEY)


def test_a_certificate_reads_back_as_signed__S4() -> None:
    assert TEXT.startswith(PREFIX)
    certificate = read_certificate(TEXT)
    assert (certificate.kid, certificate.claims) == (KID, CLAIMS)
    assert check_certificate_signature(certificate, KEY.public_key(), ISSUED) is None


def test_a_certificate_fails_under_another_key_or_after_it_expires__S4() -> None:
    certificate = read_certificate(TEXT)
    assert check_certificate_signature(certificate, OTHER_KEY.public_key(), ISSUED) is (
        Rejection.BAD_SIGNATURE
    )
    later = ISSUED + timedelta(days=7, minutes=1)
    assert check_certificate_signature(certificate, KEY.public_key(), later) is Rejection.EXPIRED


@pytest.mark.parametrize("position", range(len(PREFIX), len(TEXT), 7))
def test_a_changed_character_anywhere_never_verifies__S4(position: int) -> None:
    replacement = "0" if TEXT[position] != "0" else "1"
    tampered = TEXT[:position] + replacement + TEXT[position + 1 :]
    try:
        certificate = read_certificate(tampered)
    except TokenError:
        return
    assert check_certificate_signature(certificate, KEY.public_key(), ISSUED) is not None


def test_a_name_is_masked_before_it_is_signed__D2() -> None:
    with pytest.raises(ValueError, match="masked"):
        replace(CLAIMS, masked_name="赵桂英")


def test_a_health_code_is_not_a_certificate__S4() -> None:
    with pytest.raises(TokenError) as refused:
        read_certificate("HZ1:" + TEXT[len(PREFIX) :])
    assert refused.value.rejection is Rejection.BAD_PREFIX


@given(st.text(alphabet=ALPHABET, max_size=300))
def test_random_text_is_refused_and_never_crashes__S4(body: str) -> None:
    try:
        certificate = read_certificate(PREFIX + body)
    except TokenError:
        return
    assert check_certificate_signature(certificate, KEY.public_key(), ISSUED) is not None


def report(**changes: object) -> ScanRequest:
    fields: dict[str, object] = {
        "device_id": "gate-1",
        "scanned_at": ISSUED,
        "decision": ScanDecision.ALLOW,
        "subject": "c3ViamVjdA",
        "nonce": bytes(range(16)),
    }
    return ScanRequest(**(fields | changes))  # type: ignore[arg-type]


def test_a_scan_report_is_signed_by_its_device__D2() -> None:
    signed = sign_scan_request(report(), KEY)
    request, message = read_scan_request(signed)
    assert request == report()
    assert signed_by(message, KEY.public_key())
    assert not signed_by(message, OTHER_KEY.public_key())
    rejected = report(decision=ScanDecision.REJECTED, subject=None, token_digest=token_digest("x"))
    assert read_scan_request(sign_scan_request(rejected, KEY))[0] == rejected


def test_every_signed_report_carries_a_fresh_nonce__D2() -> None:
    unsigned = report(nonce=None)
    first, second = (read_scan_request(sign_scan_request(unsigned, KEY))[0] for _ in range(2))
    assert first.nonce is not None
    assert second.nonce is not None
    assert first.nonce != second.nonce
    with pytest.raises(ScanRequestError, match="nonce"):
        report(nonce=b"short")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"decision": ScanDecision.THROTTLED}, "cannot report"),
        ({"subject": None}, "subject or its hash"),
        ({"decision": ScanDecision.REJECTED}, "no verified subject"),
        ({"token_digest": b"short"}, "32-byte"),
    ],
)
def test_a_scan_report_names_a_subject_or_a_hash_and_nothing_else__D2(
    changes: dict[str, object], reason: str
) -> None:
    with pytest.raises(ScanRequestError, match=reason):
        report(**changes)


@given(st.binary(max_size=200))
def test_random_bytes_are_refused_as_scan_reports__D2(data: bytes) -> None:
    try:
        read_scan_request(data)
    except ScanRequestError:
        return


def test_every_rejection_has_words_for_the_checkpoint__S4() -> None:
    assert {rejection.value for rejection in Rejection} <= set(REFUSALS)

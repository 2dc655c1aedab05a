"""One signature per document (S1, D2, issue #11): for every ECDSA signature (r, s) on P-256,
(r, n - s) verifies too. A code, a paper certificate or a scanner report whose s is in the high
half is the re-encoded twin of a genuine one, and is refused; everything we sign is low-S."""

from __future__ import annotations

import zlib
from datetime import timedelta

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from builders import march
from codes_builders import ISSUED, code, signing_key
from healthcode.domain.certificates import InstitutionKind, Statement
from healthcode.tokens import PREFIX, Rejection, check_token, read_token
from healthcode.tokens.base45 import b45decode, b45encode
from healthcode.tokens.certificates import (
    CertificateClaims,
    check_certificate_signature,
    read_certificate,
    sign_certificate,
)
from healthcode.tokens.cose import HALF_ORDER, P256_ORDER, Sign1, parse_sign1, verify_sign1
from healthcode.tokens.scan_reports import (
    ScanDecision,
    ScanRequest,
    read_scan_request,
    sign_scan_request,
    signed_by,
)


def malleated(signature: bytes) -> bytes:
    """(r, s) → (r, n - s): the other signature of the same message under the same key."""
    s = int.from_bytes(signature[32:], "big")
    return signature[:32] + (P256_ORDER - s).to_bytes(32, "big")


def with_signature(message: bytes, change: bytes) -> bytes:
    tag = cbor2.loads(message)
    parts = list(tag.value)
    parts[3] = change
    return cbor2.dumps(cbor2.CBORTag(18, parts))


def rewrapped(prefix: str, text: str) -> str:
    """`text` with its signature replaced by its malleated twin, wrapped again, not re-signed."""
    message = zlib.decompress(b45decode(text[len(prefix) :]))
    signature = parse_sign1(message).signature
    return prefix + b45encode(zlib.compress(with_signature(message, malleated(signature))))


def plain_ecdsa_accepts(sign1: Sign1, public_key: ec.EllipticCurvePublicKey) -> bool:
    """What an ECDSA verifier without the low-S rule says: the twin is mathematically valid."""
    to_be_signed = cbor2.dumps(["Signature1", sign1.protected_bytes, b"", sign1.payload])
    r = int.from_bytes(sign1.signature[:32], "big")
    s = int.from_bytes(sign1.signature[32:], "big")
    try:
        public_key.verify(encode_dss_signature(r, s), to_be_signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def test_a_code_with_a_high_s_signature_is_refused__S1() -> None:
    key = signing_key("CN-33")
    genuine = code(key)
    twin = rewrapped(PREFIX, genuine)
    assert twin != genuine
    token = read_token(twin)
    assert int.from_bytes(token.sign1.signature[32:], "big") > HALF_ORDER
    assert plain_ecdsa_accepts(token.sign1, key.public_key)
    assert check_token(token, key.public_key, ISSUED) is Rejection.BAD_SIGNATURE
    assert check_token(read_token(genuine), key.public_key, ISSUED) is None


def test_every_signature_we_make_is_low_s__S1() -> None:
    """OpenSSL's ECDSA lands in the high half about one time in two: 64 codes without the
    normalisation would almost surely hold one."""
    key = signing_key("CN-33")
    for minute in range(64):
        token = read_token(code(key, issued_at=ISSUED + timedelta(minutes=minute)))
        assert int.from_bytes(token.sign1.signature[32:], "big") <= HALF_ORDER
        assert check_token(token, key.public_key, ISSUED + timedelta(minutes=minute)) is None


def test_a_paper_certificate_with_a_high_s_signature_is_refused__S4() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    claims = CertificateClaims(
        issuer="CN-33",
        subject="c3ViamVjdC1wc2V1ZG9ueW0",
        issued_at=march(20),
        expires_at=march(20) + timedelta(days=7),
        institution="xihu-lingyin",
        kind=InstitutionKind.COMMUNITY,
        statement=Statement.LOW_RISK_RESIDENT,
        masked_name="赵*英",
    )
    genuine = sign_certificate(claims, b"kid-1", key)
    twin = read_certificate(rewrapped("HZC1:", genuine))
    assert plain_ecdsa_accepts(twin.sign1, key.public_key())
    assert check_certificate_signature(twin, key.public_key(), march(20)) is Rejection.BAD_SIGNATURE
    assert (
        check_certificate_signature(read_certificate(genuine), key.public_key(), march(20)) is None
    )


def test_a_scanner_report_with_a_high_s_signature_is_refused__D2() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    report = ScanRequest("gate-1", march(20), ScanDecision.ALLOW, subject="q0Yk3n8XbT2mWcR5vLp9Ha")
    genuine = sign_scan_request(report, key)
    _, twin = read_scan_request(with_signature(genuine, malleated(parse_sign1(genuine).signature)))
    assert plain_ecdsa_accepts(twin, key.public_key())
    assert not signed_by(twin, key.public_key())
    assert not verify_sign1(twin, key.public_key())
    assert signed_by(read_scan_request(genuine)[1], key.public_key())

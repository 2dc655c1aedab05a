"""The NZ COVID Pass specification's examples (nzcp/), judged as the specification describes them
(NZ COVID Pass Technical Specification v1, "Examples") — clauses A8, S1, S5.

The trusted issuer is the examples' own DID document (nzcp/valid/did.json,
`did:web:nzcp.covid19.health.nz`). Every example comes as text and as a QR picture; the picture
is scanned with zxing-cpp and must read as the text, so both forms are judged.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zxingcpp

from e2e.browser import png_grey_pixels
from healthcode.foreign.nzcp import verify_nzcp
from healthcode.foreign.trust import load_trust

HERE = Path(__file__).parent / "nzcp"
TRUST = load_trust([HERE / "valid" / "did.json"])
# After the examples were made (the valid one from 2021-11-02) and before the not-yet-active one
# (2026-11-02): the instant the specification's descriptions hold at.
AT = datetime(2021, 11, 15, tzinfo=UTC)
QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

# Example → (what the specification says of it, our reason code it is refused with).
INVALID = {
    "nzcp-bad-public-key": ("Bad Public Key: signed by another key", "signature-invalid"),
    "nzcp-not-associated-public-key": ("Public Key Not Found: no key-2 in the DID", "unknown-key"),
    "nzcp-modified-signature": ("Modified Signature", "signature-invalid"),
    "nzcp-modified-payload": ("Modified Payload", "signature-invalid"),
    "nzcp-expired-payload": ("Expired Pass: exp is past", "expired"),
    "nzcp-notactive-payload": ("Not Active Pass: nbf is ahead", "not-yet-valid"),
    # Only as a picture: signed by another DID's key, which is not a trusted issuer's.
    "nzcp-revoked-public-key": ("Revoked public key: its issuer is not trusted", "unknown-issuer"),
}  # fmt: skip
FILE_OF = {"nzcp-modified-signature": "nzcp-modified-sig"}


def _scanned(path: Path) -> str:
    width, height, pixels = png_grey_pixels(path.read_bytes())
    (found,) = zxingcpp.read_barcodes(
        memoryview(pixels).cast("B", (height, width)), formats=QR_ONLY
    )
    return str(found.text)


def _texts(stem: str, folder: str) -> list[str]:
    """The example's text, and the text its QR picture scans to (the same, checked)."""
    picture = _scanned(HERE / folder / f"{stem}.png")
    written = HERE / folder / f"{stem}.txt"
    if written.exists():
        assert written.read_text(encoding="utf-8").strip() == picture
        return [written.read_text(encoding="utf-8"), picture]
    return [picture]


def test_the_valid_example_verifies_with_its_facts__A8_S1_S5() -> None:
    expected = json.loads((HERE / "valid" / "nzcp.json").read_text(encoding="utf-8"))
    for text in _texts("nzcp", "valid"):
        verdict = verify_nzcp(text, TRUST, AT)
        assert verdict.valid, verdict.reasons
        assert verdict.checks == dict.fromkeys(verdict.checks, True)
        (fact,) = verdict.facts
        subject = expected["vc"]["credentialSubject"]
        assert fact.holder_name == f"{subject['familyName']}, {subject['givenName']}"
        assert fact.holder_birth_date == subject["dob"]
        assert (fact.kind, fact.country) == ("vaccination", "NZ")
        assert fact.occurred_at == datetime.fromtimestamp(expected["nbf"], UTC)


@pytest.mark.parametrize("stem", INVALID, ids=str)
def test_each_invalid_example_is_refused_with_its_reason__A8_S1_S5(stem: str) -> None:
    description, code = INVALID[stem]
    for text in _texts(FILE_OF.get(stem, stem), "invalid"):
        verdict = verify_nzcp(text, TRUST, AT)
        assert not verdict.valid, description
        assert code in {reason.code for reason in verdict.reasons}, description
        assert verdict.facts == ()


def test_every_example_is_judged() -> None:
    stems = {path.stem for path in (HERE / "invalid").iterdir()}
    assert stems == {FILE_OF.get(stem, stem) for stem in INVALID}


def test_without_the_issuer_s_did_document_nothing_verifies__S1() -> None:
    verdict = verify_nzcp(_texts("nzcp", "valid")[0], load_trust([]), AT)
    assert not verdict.valid
    assert [reason.code for reason in verdict.reasons] == ["unknown-issuer"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("NZCP:/2/AAAA", "nzcp-version"),
        ("NZCP:/1/abc", "nzcp-base32"),
        ("NZCP:/1/AAAA====", "nzcp-base32"),
        ("HC1:XYZ", "nzcp-prefix"),
        ("NZCP:/1/AE", "nzcp-cose"),
    ],
)
def test_a_text_that_is_no_pass_is_undecodable_with_its_reason__S1(text: str, code: str) -> None:
    verdict = verify_nzcp(text, TRUST, AT)
    assert verdict.checks["decode"] is False
    assert [reason.code for reason in verdict.reasons] == [code]

"""The SMART Health Cards dev-tools test data (shc/testdata/), judged as that project's own tests
say (shc/testdata/_expectations/*.test.ts) — clauses A8, S1, S5.

Each case below names the `_expectations` test it comes from and maps that project's error codes
to our reason codes (the `MAPPED` table). Where a validator and a border verifier part ways, the
case says so: dev-tools reports an expired card and deprecated chunking at warning and error
level respectively for an issuer's benefit; a verifier refuses the expired card and reads the
chunked one (noting it). Every file of the folder is judged here or listed in `NOT_JUDGED` with
the reason, and a test holds the two lists to the folder.

The trust material is the specification's example issuer's JWKS (shc/trust/), with the `iss`
and `country` members a trust file adds (foreign/shc.py); its keys' ids are their thumbprints,
which `test_the_example_issuer_keys_are_their_own_thumbprints` checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zxingcpp

from e2e.browser import png_grey_pixels
from healthcode.foreign.shc import (
    health_card_jws,
    key_problems,
    payload_findings,
    thumbprint,
    verify_shc,
    verify_shc_jws,
)
from healthcode.foreign.trust import TrustFileError, load_trust
from healthcode.foreign.verdicts import ForeignVerdict

HERE = Path(__file__).parent / "shc"
DATA = HERE / "testdata"
TRUST = load_trust([HERE / "trust" / "spec-example-issuer.jwks.json"])
# dev-tools' own validation time (card.test.ts, api.test.ts: "1653955200", 2022-05-31).
AT = datetime.fromtimestamp(1653955200, UTC)
EXPECTED_SAN = "https://smarthealth.cards/examples/issuer"  # keys.test.ts
QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

# dev-tools ErrorCode → our reason code (what the same finding is called here).
MAPPED = {
    "INVALID_NUMERIC_QR_HEADER": "qr-header",
    "INVALID_NUMERIC_QR": "qr-numeric",
    "MISSING_QR_CHUNK": "qr-chunks",
    "QR_CHUNKING_DEPRECATED": "qr-chunked",
    "TRAILING_CHARACTERS": "trailing-characters",
    "JWS_TOO_LONG": "jws-too-long",
    "INFLATION_ERROR": "not-deflated",
    "JWS_HEADER_ERROR": "jws-header",
    "JWS_VERIFICATION_ERROR": "signature-invalid",
    "SIGNATURE_FORMAT_ERROR": "signature-format",
    "ISSUER_KEY_DOWNLOAD_ERROR": "unknown-issuer",  # offline: the issuer's keys are not trusted
    "INVALID_ISSUER_URL": "issuer-url",
    "NOT_YET_VALID": "not-yet-valid",
    "EXPIRATION_ERROR": "expired",
    "SCHEMA_ERROR": "vc-type-missing",
    "FHIR_SCHEMA_ERROR": "fhir-bundle",
    "JSON_PARSE_ERROR": "payload-not-json",
    "INVALID_KEY_WRONG_KID": "key-id",
    "INVALID_KEY_WRONG_CRV": "key-curve",
    "INVALID_KEY_WRONG_USE": "key-use",
    "INVALID_KEY_WRONG_ALG": "key-alg",
    "INVALID_KEY_WRONG_KTY": "key-type",
    "INVALID_KEY_PRIVATE": "key-private",
    "INVALID_KEY_X5C": "key-x5c",
}


@dataclass(frozen=True)
class Case:
    source: str  # the `_expectations` test (file: name), or "file name" when only the name says
    files: tuple[str, ...]
    layer: str  # qr (numeric text), image (QR picture), jws, card, payload, bundle
    valid: bool
    codes: tuple[str, ...] = ()  # our reason codes that must be among the verdicts' reasons


def case(source: str, files: str | tuple[str, ...], layer: str, valid: bool, *codes: str) -> Case:
    return Case(source, (files,) if isinstance(files, str) else files, layer, valid, codes)


CHUNKS_TOO_SMALL = tuple(
    f"test-example-00-f-qr-code-numeric-value-{n}-qr_chunk_too_small.txt" for n in range(17)
)
T = "test-example-00-"

CASES = [
    # card.test.ts, valid cases (the example-0N files themselves are not in the copy).
    case("card: valid 1195-byte QR numeric", "test-example-1195-byte-qrnumeric.txt", "qr", True),
    case(
        "card: health card w/ multiple jws", f"{T}e-file-multi-jws.smart-health-card", "card", True
    ),
    case("card: valid FHIR api health card", f"{T}fhirhealthcard.json", "card", True),
    case(
        "card: valid FHIR api health card (multi)",
        f"{T}fhirhealthcard-multi-jws.json",
        "card",
        True,
    ),
    case("card: with optional data", f"{T}fhirhealthcard-with-resource-link.json", "card", True),
    # card.test.ts, warning cases: valid, the warning noted.
    case(
        "card: fhir bundle w/ trailing chars",
        f"{T}a-fhirBundle-trailing_chars.json",
        "bundle",
        True,
    ),
    case(
        "card: jws payload w/ trailing chars",
        f"{T}b-jws-payload-expanded-trailing_chars.json",
        "payload",
        True,
        MAPPED["TRAILING_CHARACTERS"],
    ),
    case(
        "card: jws w/ trailing chars",
        f"{T}d-jws-trailing_chars.txt",
        "jws",
        True,
        MAPPED["TRAILING_CHARACTERS"],
    ),
    case(
        "card: health card w/ trailing chars",
        f"{T}e-file-trailing_chars.smart-health-card",
        "card",
        True,
    ),
    case(
        "card: numeric QR w/ trailing chars",
        f"{T}f-qr-code-numeric-value-0-trailing_chars.txt",
        "qr",
        True,
        MAPPED["TRAILING_CHARACTERS"],
    ),
    case(
        "card: not yet valid (warning there, refused here)",
        f"{T}b-jws-payload-expanded-nbf_not_yet_valid.json",
        "payload",
        False,
        MAPPED["NOT_YET_VALID"],
    ),
    case(
        "card: expired (warning there, refused here)",
        f"{T}b-jws-payload-expanded-expired.json",
        "payload",
        False,
        MAPPED["EXPIRATION_ERROR"],
    ),
    case(
        "card: exp in milliseconds",
        f"{T}b-jws-payload-expanded-exp_milliseconds.json",
        "payload",
        True,
        "time-unit",
    ),
    case(
        "card: unnecessary QR chunks (pictures)",
        (f"{T}g-qr-code-0-qr_chunk_too_small.png", f"{T}g-qr-code-1-qr_chunk_too_small.png"),
        "image",
        True,
        MAPPED["QR_CHUNKING_DEPRECATED"],
    ),
    case(
        "card: many unnecessary QR chunks",
        CHUNKS_TOO_SMALL,
        "qr",
        True,
        MAPPED["QR_CHUNKING_DEPRECATED"],
    ),
    case(
        "card: missing immunization VC type",
        f"{T}b-jws-payload-expanded-missing-imm-vc-type.json",
        "payload",
        True,
        MAPPED["SCHEMA_ERROR"],
    ),
    case(
        "card: missing covid VC type",
        f"{T}b-jws-payload-expanded-missing-covid-vc-type.json",
        "payload",
        True,
        MAPPED["SCHEMA_ERROR"],
    ),
    case(
        "card: missing lab VC type",
        "test-example-covid-lab-jwspayload-missing-lab-vc-type.json",
        "payload",
        True,
        MAPPED["SCHEMA_ERROR"],
    ),
    case(
        "card: missing coding",
        f"{T}b-jws-payload-expanded-missing-coding.json",
        "payload",
        False,
        "fhir-coding",
    ),
    case(
        "card: inflated QR code (v22, warning)", f"{T}g-qr-code-inflated-to-v22.png", "image", True
    ),
    # card.test.ts, error cases.
    case(
        "card: invalid deflate",
        f"{T}e-file-invalid_deflate.smart-health-card",
        "card",
        False,
        MAPPED["INFLATION_ERROR"],
    ),
    case(
        "card: no deflate",
        f"{T}e-file-no_deflate.smart-health-card",
        "card",
        False,
        MAPPED["INFLATION_ERROR"],
        MAPPED["JWS_TOO_LONG"],
    ),
    case(
        "card: no JWS header 'alg'",
        f"{T}d-jws-no_jws_header_alg.txt",
        "jws",
        False,
        MAPPED["JWS_HEADER_ERROR"],
    ),
    case(
        "card: no JWS header 'kid'",
        f"{T}d-jws-no_jws_header_kid.txt",
        "jws",
        False,
        MAPPED["JWS_HEADER_ERROR"],
    ),
    # Without `zip` the payload is not read as DEFLATE: refused at decoding, before the header.
    case(
        "card: no JWS header 'zip'",
        f"{T}d-jws-no_jws_header_zip.txt",
        "jws",
        False,
        MAPPED["INFLATION_ERROR"],
    ),
    case(
        "card: wrong JWS header 'kid'",
        f"{T}d-jws-wrong_jws_header_kid.txt",
        "jws",
        False,
        "unknown-key",
    ),
    case(
        "card: JWS payload with BOM UTF-8 prefix",
        f"{T}d-jws-utf8_bom_prefix.txt",
        "jws",
        False,
        MAPPED["JSON_PARSE_ERROR"],
    ),
    case(
        "card: invalid issuer url",
        f"{T}e-file-invalid_issuer_url.smart-health-card",
        "card",
        False,
        MAPPED["ISSUER_KEY_DOWNLOAD_ERROR"],
    ),
    case(
        "card: nbf in milliseconds",
        f"{T}b-jws-payload-expanded-nbf_milliseconds.json",
        "payload",
        False,
        MAPPED["NOT_YET_VALID"],
    ),
    case(
        "card: exp date before nbf",
        f"{T}b-jws-payload-expanded-pre-expired.json",
        "payload",
        False,
        MAPPED["EXPIRATION_ERROR"],
    ),
    case(
        "card: invalid issuer url (http)",
        f"{T}e-file-invalid_issuer_url_http.smart-health-card",
        "card",
        False,
        MAPPED["INVALID_ISSUER_URL"],
    ),
    case(
        "card: invalid issuer url (trailing /)",
        f"{T}e-file-issuer_url_with_trailing_slash.smart-health-card",
        "card",
        False,
        MAPPED["INVALID_ISSUER_URL"],
    ),
    case(
        "card: invalid JWK set",
        f"{T}e-file-bad_jwks.smart-health-card",
        "card",
        False,
        MAPPED["ISSUER_KEY_DOWNLOAD_ERROR"],
    ),
    case(
        "card: invalid QR header",
        f"{T}f-qr-code-numeric-value-0-wrong_qr_header.txt",
        "qr",
        False,
        MAPPED["INVALID_NUMERIC_QR_HEADER"],
    ),
    case("card: wrong file extension (warning)", f"{T}e-file.wrong-extension", "card", True),
    case(
        "card: invalid signature",
        f"{T}d-jws-invalid-signature.txt",
        "jws",
        False,
        MAPPED["JWS_VERIFICATION_ERROR"],
    ),
    case(
        "card: invalid single chunk QR header (warning)",
        f"{T}f-qr-code-numeric-value-0-wrong-multi-chunk.txt",
        "qr",
        True,
        "qr-chunk-header",
    ),
    case(
        "card: QR chunk index out of range",
        (f"{T}f-qr-code-numeric-value-0-index-out-of-range.txt",),
        "qr",
        False,
        "qr-chunks",
    ),
    case(
        "card: QR chunk too big",
        (
            "test-example-02-f-qr-code-numeric-value-0-qr_chunk_too_big.txt",
            "test-example-02-f-qr-code-numeric-value-1-qr_chunk_too_big.txt",
        ),
        "qr",
        False,
        "qr-chunk-too-big",
    ),
    case(
        "card: invalid numeric QR with odd count",
        f"{T}f-qr-code-numeric-value-0-odd-count.txt",
        "qr",
        False,
        MAPPED["INVALID_NUMERIC_QR"],
    ),
    case(
        "card: invalid numeric QR with value too big",
        f"{T}f-qr-code-numeric-value-0-number-too-big.txt",
        "qr",
        False,
        MAPPED["INVALID_NUMERIC_QR"],
    ),
    case(
        "card: corrupted QR code (nothing scans)", f"{T}g-qr-code-0-corrupted.png", "image", False
    ),
    case(
        "card: invalid JWS payload encoding (double-stringify)",
        "test-invalid-jws-payload.png",
        "image",
        False,
        MAPPED["JSON_PARSE_ERROR"],
    ),
    case(
        "card: FHIR bundle with non-dm properties (warnings)",
        f"{T}a-non-dm-properties.json",
        "bundle",
        True,
    ),
    case(
        "card: FHIR bundle with non-short refs",
        f"{T}a-short-refs.json",
        "bundle",
        False,
        "fhir-reference",
    ),
    case(
        "card: der encoded signature",
        f"{T}d-jws-der-signature.txt",
        "jws",
        False,
        MAPPED["SIGNATURE_FORMAT_ERROR"],
    ),
    case(
        "card: der encoded signature s-negative",
        f"{T}d-jws-der-signature-s-neg.txt",
        "jws",
        False,
        MAPPED["SIGNATURE_FORMAT_ERROR"],
    ),
    case(
        "card: der encoded signature r-negative",
        f"{T}d-jws-der-signature-r-neg.txt",
        "jws",
        False,
        MAPPED["SIGNATURE_FORMAT_ERROR"],
    ),
    case(
        "card: der encoded signature r&s negative",
        f"{T}d-jws-der-signature-rs-neg.txt",
        "jws",
        False,
        MAPPED["SIGNATURE_FORMAT_ERROR"],
    ),
    case(
        "card: bad meta with extra key (warning)",
        f"{T}a-fhirBundle-bad_meta_extra_key.json",
        "bundle",
        True,
        "fhir-meta-extra",
    ),
    case(
        "card: bad meta without security key (warning)",
        f"{T}a-fhirBundle-bad_meta_non_security.json",
        "bundle",
        True,
        "fhir-meta-extra",
    ),
    case(
        "card: bad meta with wrong security field",
        f"{T}a-fhirBundle-bad_meta_wrong_security.json",
        "bundle",
        False,
        "fhir-meta",
    ),
    case(
        "card: health card w/ multi-jws and issues",
        f"{T}e-file-multi-jws-issues.smart-health-card",
        "card",
        False,
        MAPPED["JWS_HEADER_ERROR"],
    ),
    # api.test.ts.
    case(
        "api: fhirbundle profile=usa-covid19-immunization",
        f"{T}a-fhirBundle-profile-usa.json",
        "bundle",
        False,
        "fhir-bundle",
    ),
    case(
        "api: jws with a fhir warning (cascade)",
        f"{T}d-jws-bad-fhir-metadata.txt",
        "jws",
        True,
        "fhir-meta-extra",
    ),
    case(
        "api: jws issuer not valid with smart key",
        f"{T}d-jws-issuer-not-valid-with-smart-key.txt",
        "jws",
        False,
        MAPPED["ISSUER_KEY_DOWNLOAD_ERROR"],
    ),
    # Files no test names, judged by what their names say.
    case(
        "file name: status not completed",
        f"{T}a-fhirBundle-status-not-completed.json",
        "bundle",
        False,
        "fhir-bundle",
    ),
    case("file name: empty values", f"{T}a-fhirBundle-empty-values.json", "bundle", False),
    case(
        "file name: occurrence issues",
        f"{T}a-fhirBundle-occurrence-issues.json",
        "bundle",
        False,
        "fhir-date",
    ),
    case(
        "file name: issuer kid mismatch",
        f"{T}d-jws-issuer-kid-mismatch.txt",
        "jws",
        False,
        "unknown-key",
    ),
    case(
        "file name: payload with an optional vc type",
        f"{T}b-jws-payload-expanded-optional-vc-type.json",
        "payload",
        True,
    ),
    case(
        "file name: payload with unknown vc types",
        f"{T}b-jws-payload-expanded-unknown-vc-types.json",
        "payload",
        True,
    ),
    case(
        "file name: payload missing the health-card type",
        f"{T}b-jws-payload-expanded-missing-shc-vc-type.json",
        "payload",
        False,
        "vc-type",
    ),
    # Too long for one QR code (noted), and signed as an issuer (smarthealth.cards, no `nbf`)
    # that is not the trusted one: refused for that.
    case(
        "file name: jws too long",
        f"{T}d-jws-jws_too_long.txt",
        "jws",
        False,
        MAPPED["JWS_TOO_LONG"],
        "unknown-issuer",
    ),
    case(
        "file name: card with a jws too long",
        f"{T}e-file-jws_too_long.smart-health-card",
        "card",
        False,
        MAPPED["JWS_TOO_LONG"],
        "unknown-issuer",
    ),
    case(
        "file name: no deflate (jws)",
        f"{T}d-jws-no_deflate.txt",
        "jws",
        False,
        MAPPED["INFLATION_ERROR"],
    ),
]

# The symbol's own properties are the scanner's, not the text's: a version above 22 or a QR code
# without its two segments (byte `shc:/`, then numeric) reads as the same text. dev-tools refuses
# these pictures for the symbol; their text is a sound card, and is judged so here.
SYMBOL_ONLY = [
    case(
        "card: invalid QR version (v24: the symbol's)",
        f"{T}g-qr-code-0-bad_qr_version.png",
        "image",
        True,
    ),
    case(
        "card: single segment QR (the symbol's)",
        f"{T}g-qr-code-0-single_qr_segment.png",
        "image",
        True,
    ),
]
TOO_MANY_SEGMENTS = case("card: too many QR segments", f"{T}g-qr-code-0-too_many_qr_segment.png",
                         "image", False, MAPPED["INVALID_NUMERIC_QR"])  # fmt: skip

KEY_CASES = [  # keys.test.ts: (file, the issuer the x5c must name, our reason codes expected)
    ("valid_key.json", None, ()),
    ("valid_keys.json", None, ()),
    ("valid_key_with_x5c.json", EXPECTED_SAN, ()),
    ("valid_2_chain.public.json", EXPECTED_SAN, ()),
    ("wrong_kid_key.json", None, ("key-id",)),
    ("wrong_curve_key.json", None, ("key-curve",)),
    ("wrong_use_key.json", None, ("key-use",)),
    ("wrong_alg_key.json", None, ("key-alg",)),
    ("wrong_kty_key.json", None, ("key-type",)),
    ("private_key.json", None, ("key-private",)),
    ("valid_key_with_x5c.json", "https://invalid.url", ("key-x5c",)),
    ("invalid_DNS_SAN.public.json", EXPECTED_SAN, ("key-x5c",)),
    ("invalid_no_SAN.public.json", EXPECTED_SAN, ("key-x5c",)),
    ("cert_mismatch.public.json", None, ("key-x5c",)),
    ("invalid_chain.public.json", None, ("key-x5c",)),
]

NOT_JUDGED = {
    "LICENSE": "the licence",
    "ORIGIN.txt": "where the files come from",
    "README.md": "the folder's description",
    "_expectations/api.test.ts": "the expectations",
    "_expectations/card.test.ts": "the expectations",
    "_expectations/keys.test.ts": "the expectations",
    "test-issuers.json": "a trust directory naming the example issuer: our trust file names it",
    "issuer.jwks.public.not.smart.json": "the key set of the issuer-kid-mismatch card's signer",
    "test-example-00-g-qr-code-0-scaled-23.jpg": "a JPEG: no JPEG decoder is installed here",
    "test-example-00-g-qr-code-0-scaled-85.jpg": "a JPEG: no JPEG decoder is installed here",
}


# The revocation-list cases (badcrl/: each issuer's JWKS, its CRL and a card) need the issuer's
# CRL, which this verifier does not take as trust material: a withdrawn key is removed from the
# trust file instead. They are not judged.
NOT_JUDGED_FOLDERS = {"badcrl/": "revocation lists are not trust material here (JWKS only)"}
BAD_JWKS = "badjwks/.well-known/jwks.json"


def _verdicts(case: Case) -> list[ForeignVerdict]:  # noqa: PLR0911 - one return a layer
    texts = [(DATA / name).read_bytes() for name in case.files]
    if case.layer == "qr":
        return [verify_shc([text.decode("utf-8") for text in texts], TRUST, AT)]
    if case.layer == "image":
        scanned = [_scanned(data) for data in texts]
        if None in scanned:
            return []
        return [verify_shc([text for text in scanned if text is not None], TRUST, AT)]
    (text,) = (data.decode("utf-8") for data in texts)
    if case.layer == "jws":
        return [verify_shc_jws(text, TRUST, AT)]
    if case.layer == "card":
        return [verify_shc_jws(jws, TRUST, AT) for jws in health_card_jws(text)]
    if case.layer == "payload":
        return [payload_findings(text, AT, "US")]
    return [payload_findings(_as_payload(text), AT, "US")]


def _as_payload(bundle: str) -> str:
    """A bare FHIR bundle file as the claims of a card signed by the example issuer."""
    vc = {
        "type": ["https://smarthealth.cards#health-card", "https://smarthealth.cards#covid19",
                 "https://smarthealth.cards#immunization"],
        "credentialSubject": {"fhirVersion": "4.0.1", "fhirBundle": json.loads(bundle)},
    }  # fmt: skip
    return json.dumps({"iss": "https://spec.smarthealth.cards/examples/issuer", "nbf": 1, "vc": vc})


def _scanned(png: bytes) -> str | None:
    width, height, pixels = png_grey_pixels(png)
    found = zxingcpp.read_barcodes(memoryview(pixels).cast("B", (height, width)), formats=QR_ONLY)
    return str(found[0].text) if found else None


@pytest.mark.parametrize("case", [*CASES, *SYMBOL_ONLY, TOO_MANY_SEGMENTS], ids=lambda c: c.source)
def test_each_file_is_judged_as_its_expectations_say__A8_S1_S5(case: Case) -> None:
    verdicts = _verdicts(case)
    reasons = {reason.code for verdict in verdicts for reason in verdict.reasons}
    # A picture in which no QR code scans gives no text to judge (dev-tools: QR_DECODE_ERROR).
    accepted = bool(verdicts) and all(verdict.valid for verdict in verdicts)
    assert accepted == case.valid, reasons
    assert set(case.codes) <= reasons
    if not case.valid and verdicts:
        assert reasons  # a refusal always says why
    for verdict in verdicts:
        assert verdict.to_json()["valid"] is verdict.valid
        assert bool(verdict.facts) == verdict.valid


@pytest.mark.parametrize(("name", "issuer", "codes"), KEY_CASES, ids=str)
def test_each_key_is_judged_as_keys_test_says__S1(
    name: str, issuer: str | None, codes: tuple[str, ...]
) -> None:
    (key,) = json.loads((DATA / name).read_text(encoding="utf-8"))["keys"][:1]
    problems = {reason.code for reason in key_problems(key, issuer)}
    assert set(codes) <= problems if codes else not problems, problems


def test_the_example_issuer_keys_are_their_own_thumbprints__S1() -> None:
    (document,) = TRUST.jwks
    for key in document["keys"]:  # type: ignore[attr-defined]
        assert key["kid"] == thumbprint(key)
        assert key_problems(key) == ()


def test_a_key_set_that_is_not_one_is_refused_as_trust__S1() -> None:
    """card: invalid JWK set: the issuer's JWKS of `e-file-bad_jwks` is not JSON."""
    with pytest.raises(TrustFileError, match=r"jwks\.json"):
        load_trust([DATA / BAD_JWKS])


def test_every_file_of_the_folder_is_judged_or_said_why_not() -> None:
    judged = {name for c in [*CASES, *SYMBOL_ONLY, TOO_MANY_SEGMENTS] for name in c.files}
    judged |= {name for name, _, _ in KEY_CASES} | {BAD_JWKS}
    present = {
        str(path.relative_to(DATA))
        for path in DATA.rglob("*")
        if path.is_file() and not str(path.relative_to(DATA)).startswith(tuple(NOT_JUDGED_FOLDERS))
    }
    assert present - judged - set(NOT_JUDGED) == set()
    assert (judged | set(NOT_JUDGED)) - present == set()

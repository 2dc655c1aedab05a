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
which `test_the_example_issuer_keys_are_their_own_thumbprints` checks. The revocation cases
(badcrl/) bring their own issuer: its JWKS, given the `iss` its cards name, and its key's list.
Pictures, PNG or JPEG, are read with Pillow and scanned with zxing-cpp.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from healthcode.foreign.shc import (
    health_card_jws,
    key_problems,
    payload_findings,
    thumbprint,
    verify_shc,
    verify_shc_jws,
)
from healthcode.foreign.trust import (
    ShcRevocationList,
    TrustFileError,
    TrustMaterial,
    load_trust,
    merged,
    read_trust,
)
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
    # A list that cannot be believed refuses its key's cards; a sound one revokes cards.
    "REVOCATION_ERROR": "revocation-list-invalid",
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
    case(
        "card: valid QR code, requires scaling 23", f"{T}g-qr-code-0-scaled-23.jpg", "image", True
    ),
    case(
        "card: valid QR code, requires scaling 85", f"{T}g-qr-code-0-scaled-85.jpg", "image", True
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
    "badcrl/info.md": "the revocation cases' description",
    "badcrl/public.json": "the revocation cases' key, which each case's JWKS holds",
    "badcrl/.well-known/jwks.json": "the same key as a bare JWK (each case's JWKS is judged)",
    "badcrl/private.json": "the private key that signed the revocation cases' cards",
}
BAD_JWKS = "badjwks/.well-known/jwks.json"

# badcrl/<case>/: an issuer's JWKS (its key has `crlVersion` 1), the key's revocation list
# (.well-known/crl/<kid>.json) and a card it signed, each list broken one way (card.test.ts,
# "Cards: CRL with …": REVOCATION_ERROR, twice for the duplicates). The cards name their issuer
# as this URL and the case (info.md gives the repository's address of the same folder), which
# the trust file adds as `iss`, as for the example issuer.
BADCRL = DATA / "badcrl"
BADCRL_ISS = (
    "https://raw.githubusercontent.com/smart-on-fhir/health-cards-dev-tools/main/testdata/badcrl/"
)
CRL_KID = "hrvC0uzB16UXK83BnPo7Glg685b1D6iYOyJd5hpRaAA"
CRL_CASES = [  # (case, the reason expected, how many times)
    ("invalid-method", "revocation-list-invalid", 1),
    ("non-base64url-rid", "revocation-list-invalid", 2),  # two entries; dev-tools lists both
    ("duplicate-rid", "revocation-list-invalid", 2),
    ("too-long-rid", "revocation-list-invalid", 1),
    ("version-mismatch", "revocation-list-version", 1),  # ctr 2, the key's crlVersion 1
]


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


def _scanned(picture: bytes) -> str | None:
    """The QR text in a PNG or JPEG picture, as a scanner reads it (Pillow, then zxing-cpp)."""
    image = Image.open(io.BytesIO(picture))
    image.load()
    found = zxingcpp.read_barcodes(image, formats=QR_ONLY)
    return str(found[0].text) if found else None


def _crl_files(name: str) -> tuple[str, str, str]:
    """The case's JWKS, revocation list and card, as paths inside the folder."""
    return (
        f"badcrl/{name}/.well-known/jwks.json",
        f"badcrl/{name}/.well-known/crl/{CRL_KID}.json",
        f"badcrl/{name}/jws-crl-{name}.txt",
    )


def _crl_issuer(name: str, *revocation_lists: ShcRevocationList) -> TrustMaterial:
    """The case's JWKS with the `iss` its card names, and `revocation_lists` (none: the case's)."""
    jwks_file, crl_file, _ = _crl_files(name)
    jwks = json.loads((DATA / jwks_file).read_text(encoding="utf-8")) | {"iss": BADCRL_ISS + name}
    issuer = read_trust(json.dumps(jwks).encode("utf-8"), jwks_file)
    if revocation_lists:
        return merged(issuer, TrustMaterial(shc_revocations={r.kid: r for r in revocation_lists}))
    return merged(issuer, load_trust([DATA / crl_file]))


def _crl_card(name: str, trust: TrustMaterial) -> ForeignVerdict:
    return verify_shc_jws((DATA / _crl_files(name)[2]).read_text(encoding="utf-8"), trust, AT)


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


@pytest.mark.parametrize(("name", "code", "times"), CRL_CASES, ids=str)
def test_a_card_whose_key_has_a_broken_revocation_list_is_refused__S1_S5(
    name: str, code: str, times: int
) -> None:
    """card.test.ts, "Cards: CRL with …": the card is sound but its key's list is not, so
    whether it is revoked cannot be told."""
    verdict = _crl_card(name, _crl_issuer(name))
    assert not verdict.valid
    assert verdict.checks["signature"] is True  # the card itself verifies: only the list fails
    assert verdict.checks["key_usage"] is False
    assert [r.code for r in verdict.reasons if r.code.startswith("revo")] == [code] * times
    assert verdict.facts == ()


# The same card and key with a sound list, made here from the invalid-method case's by giving it
# the method the spec defines: the card (rid "abcde", issued at `nbf` 1639168335) is valid off
# the list and refused on it.
SOUND = ShcRevocationList(CRL_KID, "rid", 1, ("vwAjHdarZuc.1638311286", "FKDIxsTCGlU"))
ISSUED = 1639168335


@pytest.mark.parametrize(
    ("rids", "revoked"),
    [
        ((), False),
        (("abcde",), True),
        ((f"abcde.{ISSUED + 1}",), True),  # revoked for cards issued before the timestamp
        ((f"abcde.{ISSUED - 1}",), False),  # a card issued after it stands
        (("abcdef", "abcd"), False),
    ],
    ids=str,
)
def test_a_card_on_its_key_s_sound_revocation_list_is_refused_as_revoked__S1_S5(
    rids: tuple[str, ...], revoked: bool
) -> None:
    listed = replace(SOUND, rids=SOUND.rids + rids)
    verdict = _crl_card("invalid-method", _crl_issuer("invalid-method", listed))
    assert verdict.checks["signature"] is True
    assert verdict.checks["key_usage"] is True
    assert verdict.valid is not revoked
    assert ("revoked" in {r.code for r in verdict.reasons}) is revoked
    assert (verdict.checks["expiry"] is False) is revoked  # no `exp`: otherwise not judged
    assert bool(verdict.facts) is not revoked


def test_a_card_whose_key_declares_a_list_the_trust_lacks_is_refused__S5() -> None:
    jwks_file = _crl_files("invalid-method")[0]
    jwks = json.loads((DATA / jwks_file).read_text(encoding="utf-8"))
    issuer = read_trust(json.dumps(jwks | {"iss": BADCRL_ISS + "invalid-method"}).encode(), "j")
    verdict = _crl_card("invalid-method", issuer)
    assert not verdict.valid
    assert [r.code for r in verdict.reasons] == ["revocation-list-missing"]


def test_every_file_of_the_folder_is_judged_or_said_why_not() -> None:
    judged = {name for c in [*CASES, *SYMBOL_ONLY, TOO_MANY_SEGMENTS] for name in c.files}
    judged |= {name for name, _, _ in KEY_CASES} | {BAD_JWKS}
    judged |= {name for case_name, _, _ in CRL_CASES for name in _crl_files(case_name)}
    present = {str(path.relative_to(DATA)) for path in DATA.rglob("*") if path.is_file()}
    assert present - judged - set(NOT_JUDGED) == set()
    assert (judged | set(NOT_JUDGED)) - present == set()

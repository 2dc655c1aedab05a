"""SMART Health Cards (`shc:/`): numeric QR text → JWS → claims → FHIR bundle → facts, offline.

The layers, as the SMART Health Cards Framework specification (spec.smarthealth.cards, v1) gives
them:

- QR text: `shc:/` then two decimal digits per character of the JWS, each `ord(c) - 45`; a card
  too large for one QR code was once split into chunks `shc:/N/M/…` (N of M). Chunking is
  deprecated but still met at borders, so chunks are read, in any order, and noted;
- JWS compact serialisation, header `{"alg": "ES256", "zip": "DEF", "kid": …}`, the payload raw
  DEFLATE (RFC 1951, no zlib wrapper) of UTF-8 JSON;
- the issuer (`iss`, an https URL without a trailing slash) publishes its keys as a JWKS; the key
  id is the key's JWK thumbprint (RFC 7638, SHA-256), each key EC P-256 for ES256 (`use` sig);
- the claims `nbf` (and optional `exp`), seconds since the epoch, and `vc` with its `type`s and
  `credentialSubject.fhirBundle`, a FHIR R4 `collection` Bundle whose resources refer to one
  another as `resource:N`.

Trust material comes as JWKS files, and the revocation lists of keys that declare one
(`foreign/shc_revocation.py`). A JWKS does not say whose it is, so a trust file names its
issuer in an `iss` member beside `keys` (and may name the issuing country, ISO 3166-1 alpha-2, in
`country`); the keys of a JWKS without `iss` verify no card. Keys with an X.509 chain (`x5c`) are
held to it: the leaf certificate carries the same key and names the issuer as its SAN URI, and
each certificate is issued by the next.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from healthcode.foreign.fhir import bundle_facts, bundle_problems, not_completed
from healthcode.foreign.judging import Judgement
from healthcode.foreign.reasons import reason
from healthcode.foreign.shc_revocation import revocation_findings
from healthcode.foreign.trust import TrustMaterial
from healthcode.foreign.verdicts import ForeignFact, ForeignVerdict, Reason
from healthcode.tokens.base64url import b64url_decode, b64url_encode

PREFIX: Final = "shc:/"
HEALTH_CARD_TYPE: Final = "https://smarthealth.cards#health-card"
# A JWS of at most 1195 characters fits one version-22 QR code (SHC spec, "Encoding QRs"): no
# chunk read from a real code is longer, so a longer one was never scanned.
MAX_JWS_IN_ONE_QR: Final = 1195
_CHUNK: Final = re.compile(r"shc:/(?:([0-9]+)/([0-9]+)/)?(.*)", re.DOTALL)
_HIGHEST_DIGIT_PAIR: Final = ord("z") - 45  # 77: the base64url alphabet ends at "z"
# Times beyond this (year 5138) are milliseconds mistaken for seconds.
_PLAUSIBLE_SECONDS: Final = 10**11
_COORDINATE_BYTES: Final = 32
_INFLATED_MAX: Final = 1 << 20  # a card is a few kilobytes; a deflate bomb stops here


class _UndecodableError(Exception):
    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.code)
        self.reason = reason


def verify_shc(text: str | Sequence[str], trust: TrustMaterial, at: datetime) -> ForeignVerdict:
    """Judge a SMART Health Card's QR text at `at` against the trusted issuers' JWKS.

    `text` is what the scanner read: one `shc:/…` text or, for a card split into chunks, every
    chunk either joined (one after another, with or without newlines between them, as scanners
    append them) or as a list; chunks may come in any order. Whitespace around each chunk is
    ignored (and noted).
    """
    judgement = Judgement("shc")
    try:
        jws = _numeric_jws(text, judgement)
    except _UndecodableError as problem:
        judgement.failed("decode", problem.reason)
        return judgement.verdict()
    return _judge_jws(jws, trust, at, judgement)


def verify_shc_jws(jws: str, trust: TrustMaterial, at: datetime) -> ForeignVerdict:
    """Judge one JWS, as a `.smart-health-card` file or a FHIR `$health-cards-issue` answer
    carries it (`health_card_jws` takes them out)."""
    return _judge_jws(jws, trust, at, Judgement("shc"))


def health_card_jws(document: str) -> tuple[str, ...]:
    """The JWS of a `.smart-health-card` file or a FHIR `Parameters` answer of
    `$health-cards-issue`; ValueError when it holds none."""
    try:
        parsed = json.loads(document)
    except ValueError:
        raise ValueError("not JSON") from None
    if isinstance(parsed, dict) and isinstance(parsed.get("verifiableCredential"), list):
        found = parsed["verifiableCredential"]
    elif isinstance(parsed, dict) and parsed.get("resourceType") == "Parameters":
        found = [
            item.get("valueString")
            for item in parsed.get("parameter", [])
            if isinstance(item, dict) and item.get("name") == "verifiableCredential"
        ]
    else:
        raise ValueError("neither a health card file nor a $health-cards-issue answer")
    if not found or not all(isinstance(jws, str) for jws in found):
        raise ValueError("no verifiable credential in it")
    return tuple(found)


def payload_findings(payload: str, at: datetime, country: str = "") -> ForeignVerdict:
    """The claims and FHIR checks of an unsigned payload (what an issuer is about to sign).

    Its signature is never judged (None), so such a verdict proves nothing about a card a
    traveller holds; it is for checking payloads, and the conformance data's payload files.
    """
    judgement = Judgement("shc")
    try:
        claims = _json_object(payload.encode("utf-8"), judgement)
    except _UndecodableError as problem:
        judgement.failed("decode", problem.reason)
        return judgement.verdict()
    judgement.passed("decode")
    facts = _judge_claims(claims, at, country, judgement)
    return judgement.verdict(facts)


# The QR text.


def _numeric_jws(text: str | Sequence[str], judgement: Judgement) -> str:
    # Chunks a scanner appended one after another, with or without a line between them.
    pieces = re.split(r"(?=shc:/)", text) if isinstance(text, str) else list(text)
    if any(piece.strip() != piece for piece in ([text] if isinstance(text, str) else pieces)):
        judgement.note(reason("trailing-characters"))
    chunks = [piece.strip() for piece in pieces if piece.strip()]
    if not chunks:
        raise _UndecodableError(reason("qr-header"))
    read: dict[int, str] = {}
    totals: set[int] = set()
    for stripped in chunks:
        match = _CHUNK.fullmatch(stripped)
        if match is None:
            raise _UndecodableError(reason("qr-header"))
        index, total = int(match[1] or 1), int(match[2] or 1)
        if not 1 <= index <= total or index in read:
            raise _UndecodableError(reason("qr-chunks"))
        totals.add(total)
        read[index] = _digits_text(match[3])
    (total,) = totals if len(totals) == 1 else (0,)
    if total == 0 or len(read) != total:
        raise _UndecodableError(reason("qr-chunks"))
    if total > 1 or len(chunks) > 1:
        judgement.note(reason("qr-chunked"))
    elif match is not None and match[1] is not None:
        judgement.note(reason("qr-chunk-header"))  # `shc:/1/1/`: a chunk header on a whole card
    return "".join(read[index] for index in range(1, total + 1))


def _digits_text(digits: str) -> str:
    if not digits.isascii() or not digits.isdigit() or len(digits) % 2:
        raise _UndecodableError(reason("qr-numeric"))
    if len(digits) > 2 * MAX_JWS_IN_ONE_QR:
        raise _UndecodableError(reason("qr-chunk-too-big"))
    values = [int(digits[at : at + 2]) for at in range(0, len(digits), 2)]
    if any(value > _HIGHEST_DIGIT_PAIR for value in values):
        raise _UndecodableError(reason("qr-numeric"))
    return "".join(chr(value + 45) for value in values)


# The JWS.


@dataclass(frozen=True, slots=True)
class _Jws:
    header: Mapping[str, object]
    signing_input: bytes
    signature: bytes
    claims: Mapping[str, object]


def _judge_jws(
    jws: str, trust: TrustMaterial, at: datetime, judgement: Judgement
) -> ForeignVerdict:
    if jws.strip() != jws:
        judgement.note(reason("trailing-characters"))
    if len(jws.strip()) > MAX_JWS_IN_ONE_QR:
        judgement.note(reason("jws-too-long"))
    try:
        parsed = _parse_jws(jws.strip(), judgement)
    except _UndecodableError as problem:
        judgement.failed("decode", problem.reason)
        return judgement.verdict()
    judgement.passed("decode")
    issuer = _trusted_issuer(parsed, trust, judgement)
    if issuer is not None:
        _judge_signature(parsed, issuer, judgement)
    facts = _judge_claims(parsed.claims, at, issuer.country if issuer else "", judgement)
    if issuer is not None:
        listed = trust.shc_revocations.get(str(parsed.header["kid"]))
        for check, finding in revocation_findings(issuer.key, listed, parsed.claims):
            judgement.failed(check, finding)
    return judgement.verdict(facts)


def _parse_jws(jws: str, judgement: Judgement) -> _Jws:
    parts = jws.split(".")
    if len(parts) != 3:
        raise _UndecodableError(reason("not-jws"))
    try:
        header_bytes, payload_bytes, signature = (b64url_decode(part) for part in parts)
    except ValueError:
        raise _UndecodableError(reason("not-jws")) from None
    header = _json_object(header_bytes, judgement)
    if header.get("zip") != "DEF":
        # Without DEFLATE the payload is not a health card's: the spec requires it.
        raise _UndecodableError(reason("not-deflated"))
    claims = _json_object(_inflated(payload_bytes), judgement)
    return _Jws(header, f"{parts[0]}.{parts[1]}".encode("ascii"), signature, claims)


def _inflated(data: bytes) -> bytes:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # raw DEFLATE, as `zip: DEF` means (RFC 7516)
    try:
        inflated = inflater.decompress(data, _INFLATED_MAX)
    except zlib.error:
        raise _UndecodableError(reason("not-deflated")) from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise _UndecodableError(reason("not-deflated"))
    return inflated


def _json_object(data: bytes, judgement: Judgement) -> dict[str, object]:
    try:
        text = data.decode("utf-8")
        # A byte order mark is not JSON (RFC 8259 §8.1): a payload beginning with one is refused.
        value = json.loads(text)
    except ValueError:
        raise _UndecodableError(reason("payload-not-json")) from None
    if not isinstance(value, dict):
        raise _UndecodableError(reason("payload-not-json"))
    if text != text.rstrip():
        judgement.note(reason("trailing-characters"))
    return value


# The issuer and its key.


@dataclass(frozen=True, slots=True)
class _Issuer:
    iss: str
    country: str
    key: Mapping[str, object]


def _trusted_issuer(jws: _Jws, trust: TrustMaterial, judgement: Judgement) -> _Issuer | None:
    """The trusted key the card names, or None (signature failed, and why, recorded)."""
    if jws.header.get("alg") != "ES256" or not isinstance(jws.header.get("kid"), str):
        judgement.failed("signature", reason("jws-header"))
        return None
    iss = jws.claims.get("iss")
    if not isinstance(iss, str) or not iss.startswith("https://") or iss.endswith("/"):
        judgement.failed("signature", reason("issuer-url"))
        return None
    documents = [document for document in trust.jwks if document.get("iss") == iss]
    if not documents:
        judgement.failed("signature", reason("unknown-issuer"))
        return None
    for document in documents:
        for key in _keys(document):
            if key.get("kid") == jws.header["kid"]:
                country = document.get("country")
                return _Issuer(iss, country if isinstance(country, str) else "", key)
    judgement.failed("signature", reason("unknown-key"))
    return None


def _keys(document: Mapping[str, object]) -> list[Mapping[str, object]]:
    keys = document.get("keys")
    return [key for key in keys if isinstance(key, Mapping)] if isinstance(keys, list) else []


def key_problems(jwk: Mapping[str, object], issuer: str | None = None) -> tuple[Reason, ...]:
    """Why an issuer's JWK must not verify health cards (SHC spec, "Determining keys…"); empty
    when it may. With `issuer`, a key's X.509 chain must name that issuer."""
    problems: list[Reason] = []
    if jwk.get("kty") != "EC":
        return (reason("key-type"),)
    if jwk.get("crv") != "P-256":
        problems.append(reason("key-curve"))
    if jwk.get("use") != "sig":
        problems.append(reason("key-use"))
    if jwk.get("alg") != "ES256":
        problems.append(reason("key-alg"))
    if "d" in jwk:
        problems.append(reason("key-private"))
    public_key = _public_key(jwk)
    if public_key is None:
        problems.append(
            reason("key-curve") if reason("key-curve") not in problems else reason("key-type")
        )
    elif jwk.get("kid") != thumbprint(jwk):
        problems.append(reason("key-id"))
    if "x5c" in jwk and public_key is not None and not _chain_holds(jwk["x5c"], public_key, issuer):
        problems.append(reason("key-x5c"))
    return tuple(dict.fromkeys(problems))


def thumbprint(jwk: Mapping[str, object]) -> str:
    """The RFC 7638 thumbprint of an EC JWK: SHA-256 over its required members, sorted, compact."""
    members = {name: jwk.get(name) for name in ("crv", "kty", "x", "y")}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return b64url_encode(hashlib.sha256(canonical).digest())


def _public_key(jwk: Mapping[str, object]) -> ec.EllipticCurvePublicKey | None:
    if jwk.get("crv") != "P-256":
        return None
    try:
        x, y = (b64url_decode(str(jwk.get(name, ""))) for name in ("x", "y"))
    except ValueError:
        return None
    if len(x) != _COORDINATE_BYTES or len(y) != _COORDINATE_BYTES:
        return None
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + x + y)
    except ValueError:
        return None


def _chain_holds(  # noqa: PLR0911 - one refusal a reason a chain fails
    x5c: object, key: ec.EllipticCurvePublicKey, issuer: str | None
) -> bool:
    """The leaf holds `key` and names `issuer` as its URI; each certificate issued by the next."""
    if not isinstance(x5c, list) or not x5c or not all(isinstance(item, str) for item in x5c):
        return False
    try:
        chain = [x509.load_der_x509_certificate(_base64(item)) for item in x5c]
    except ValueError:
        return False
    leaf = chain[0]
    if _spki(leaf.public_key()) != _spki(key):
        return False
    if issuer is not None:
        try:
            names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return False
        if issuer not in names.get_values_for_type(x509.UniformResourceIdentifier):
            return False
    for child, parent in itertools.pairwise(chain):
        try:
            child.verify_directly_issued_by(parent)
        except (ValueError, TypeError, InvalidSignature):
            return False
    return True


def _base64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)  # x5c is standard base64 (RFC 7517 §4.7)


def _spki(key: object) -> bytes:
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return b""
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _judge_signature(jws: _Jws, issuer: _Issuer, judgement: Judgement) -> None:
    problems = key_problems(issuer.key, issuer.iss)
    for problem in problems:
        judgement.failed("key_usage", problem)
    if not problems:
        judgement.passed("key_usage")
    public_key = _public_key(issuer.key)
    if public_key is None:
        return  # no key to check against: the signature stays unjudged, key_usage says why
    if len(jws.signature) != 2 * _COORDINATE_BYTES:
        # JWS ES256 signatures are r || s (RFC 7518 §3.4), never DER.
        judgement.failed("signature", reason("signature-format"))
        return
    r = int.from_bytes(jws.signature[:_COORDINATE_BYTES], "big")
    s = int.from_bytes(jws.signature[_COORDINATE_BYTES:], "big")
    try:
        public_key.verify(encode_dss_signature(r, s), jws.signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        judgement.failed("signature", reason("signature-invalid"))
        return
    judgement.passed("signature")


# The claims and the bundle.


def _judge_claims(
    claims: Mapping[str, object], at: datetime, country: str, judgement: Judgement
) -> list[ForeignFact]:
    _judge_times(claims, at, judgement)
    vc = claims.get("vc")
    subject = vc.get("credentialSubject") if isinstance(vc, Mapping) else None
    types = vc.get("type") if isinstance(vc, Mapping) else None
    bundle = subject.get("fhirBundle") if isinstance(subject, Mapping) else None
    if not isinstance(types, list) or HEALTH_CARD_TYPE not in types:
        judgement.failed("schema", reason("vc-type"))
        return []
    if not isinstance(bundle, Mapping):
        judgement.failed("schema", reason("fhir-bundle"))
        return []
    failures, notes = bundle_problems(bundle)
    for code in failures:
        judgement.failed("schema", reason(code))
    for code in notes:
        judgement.note(reason(code))
    if failures:
        return []
    facts = bundle_facts(bundle, country)
    if not_completed(bundle):
        judgement.note(reason("fhir-not-completed"))
    if not _types_cover(types, facts):
        judgement.note(reason("vc-type-missing"))
    judgement.passed("schema")
    return list(facts)


def _types_cover(types: list[object], facts: Sequence[object]) -> bool:
    """Whether the card's `type`s declare what it holds: immunizations and covid19, or
    laboratory results (SHC vocabulary); a missing one is noted, not refused."""
    kinds = {getattr(fact, "kind", None) for fact in facts}
    needed = {"https://smarthealth.cards#covid19"}
    if "vaccination" in kinds:
        needed.add("https://smarthealth.cards#immunization")
    if "test" in kinds:
        needed.add("https://smarthealth.cards#laboratory")
    return needed <= set(types)


def _judge_times(claims: Mapping[str, object], at: datetime, judgement: Judgement) -> None:
    now = at.timestamp()
    nbf, exp = claims.get("nbf"), claims.get("exp")
    if not _is_number(nbf):
        judgement.failed("expiry", reason("nbf-missing"))
        return
    assert isinstance(nbf, int | float)  # noqa: S101 - `_is_number` said so
    if nbf > now:
        judgement.failed("expiry", reason("not-yet-valid"))
    if exp is None:
        return  # no exp: it never expires (SHC spec), so expiry is judged on nbf alone
    if not _is_number(exp):
        judgement.failed("expiry", reason("expired"))
        return
    assert isinstance(exp, int | float)  # noqa: S101
    if exp < nbf or exp < now:
        judgement.failed("expiry", reason("expired"))
    elif exp >= _PLAUSIBLE_SECONDS:
        judgement.note(reason("time-unit"))
    if judgement.judged("expiry") is None:
        judgement.passed("expiry")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

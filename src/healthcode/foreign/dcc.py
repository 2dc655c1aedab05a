"""EU Digital COVID Certificates verified offline (docs/spec.md §5, ADR 0015; the member states'
vectors in tests/conformance/dcc say what each layer and check must accept and refuse).

The layers, outermost first, each undone by one function here so the conformance vectors can test
each alone: `HC1:` (`unprefix`), Base45 (`healthcode.tokens.base45`), zlib (`inflate`), COSE_Sign1
(`read_sign1`), CWT claims with the certificate under hcert (-260) member 1 (`read_claims`).
Then the checks: the signature with the document signer (DSC) the key id names in the trust
material (`signature_valid`), the CWT's and the DSC's validity at `at`, the payload schema
(`schema_problem`), and the DSC's extended key usages against the kind of statement
(`key_usage_allows`).

The algorithm and key id are read from the protected header, and from the unprotected one only
when the protected header lacks them (issuers put the key id there; vectors CO19, CO20): neither
is trusted for anything but choosing a key, and each algorithm is bound to its key type (ES256 to
a P-256 key, PS256 to an RSA key), so an unsigned header cannot turn one into the other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from typing import Final, TypeVar

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from jsonschema import Draft202012Validator, FormatChecker

from healthcode.foreign.reasons import reason
from healthcode.foreign.trust import DccKey, TrustMaterial
from healthcode.foreign.verdicts import (
    CheckName,
    FactKind,
    ForeignFact,
    ForeignVerdict,
    Reason,
    undecodable,
)
from healthcode.tokens.base45 import b45decode
from healthcode.tokens.claims import from_numeric_date
from healthcode.tokens.codec import MAX_TEXT_LENGTH, inflate
from healthcode.tokens.cose import decode_cbor, sign1_parts, to_be_signed
from healthcode.tokens.errors import Rejection, TokenError

PREFIX: Final = "HC1:"
FORMAT: Final = "eu-dcc"
# A QR code holds at most ~2.9 kB of zlib; real certificates inflate to 1–2 kB.
MAX_INFLATED_BYTES: Final = 16 * 1024
# COSE (RFC 9052 §3.1, RFC 8392 §6) and CWT (RFC 8392 §4) labels, and the hcert claim.
COSE_SIGN1_TAG: Final = 18
CWT_TAG: Final = 61
ALG: Final = 1
KID: Final = 4
ES256: Final = -7
PS256: Final = -37
ISSUER: Final = 1
EXPIRES_AT: Final = 4
ISSUED_AT: Final = 6
HCERT: Final = -260
DCC_V1: Final = 1
_ES256_COORDINATE_BYTES: Final = 32
# The DCC key usages of a DSC: one that names any of these may sign only those kinds; one that
# names none may sign every kind (vectors CO6–CO15). Both OID arcs were issued in the field.
_KIND_OF_USAGE: Final[Mapping[str, str]] = {
    f"1.3.6.1.4.1.{arc}1847.2021.1.{index}": kind
    for arc in ("", "0.")
    for index, kind in ((1, "t"), (2, "v"), (3, "r"))
}
_EKU_OID_DER: Final = bytes.fromhex("0603551d25")  # id-ce-extKeyUsage (2.5.29.37)
_KINDS: Final[Mapping[str, FactKind]] = {"v": "vaccination", "t": "test", "r": "recovery"}
# When each kind of statement happened: vaccinated, sample collected, first positive test.
_WHEN: Final = {"v": "dt", "t": "sc", "r": "fr"}
# SNOMED CT codes of the test-result value set.
_TEST_RESULTS: Final = {"260415000": "negative", "260373001": "positive"}
_REASON_OF_REJECTION: Final = {
    Rejection.BAD_ENCODING: "bad-encoding",
    Rejection.BAD_COMPRESSION: "bad-compression",
    Rejection.BAD_STRUCTURE: "bad-structure",
}
_In = TypeVar("_In")
_Out = TypeVar("_Out")


class DccLayerError(ValueError):
    """A layer of the certificate that cannot be undone; `reason` says which, in both languages."""

    def __init__(self, problem: Reason) -> None:
        super().__init__(problem.en)
        self.reason = problem


@dataclass(frozen=True, slots=True)
class DccSign1:
    protected_bytes: bytes
    alg: int | None
    kid: bytes | None
    payload: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class DccClaims:
    issuer: str | None  # the issuing country
    issued_at: datetime
    expires_at: datetime
    certificate: Mapping[str, object]  # the DCC payload, in its JSON form


def verify_dcc(text: str, trust: TrustMaterial, at: datetime) -> ForeignVerdict:
    """The verdict on an `HC1:` text at `at`, against `trust` only (no network)."""
    try:
        cose = inflate_layer(decode_base45(unprefix(text)))
    except DccLayerError as error:
        return undecodable(FORMAT, error.reason)
    return verify_cose(cose, trust, at)


def verify_cose(cose: bytes, trust: TrustMaterial, at: datetime) -> ForeignVerdict:
    """The verdict on the COSE_Sign1 inside a certificate (the conformance vectors' COSE)."""
    if at.utcoffset() is None:
        raise ValueError("at must be timezone-aware")
    try:
        message = read_sign1(cose)
        claims = read_claims(message.payload)
    except DccLayerError as error:
        return undecodable(FORMAT, error.reason)
    reasons: list[Reason] = []
    key = trust.dcc_keys.get(message.kid) if message.kid is not None else None
    signature: bool | None = None
    key_usage: bool | None = None
    kinds = _statement_kinds(claims.certificate)
    if key is None:
        reasons.append(reason("unknown-key"))
        signature = False
    else:
        signature = signature_valid(message, key)
        if not signature:
            reasons.append(reason(_signature_refusal(message)))
        key_usage = key_usage_allows(key.certificate, kinds)
        if not key_usage:
            reasons.append(reason("key-usage-mismatch", ", ".join(sorted(kinds))))
    expiry_problems = _expiry_problems(claims, key, at)
    reasons.extend(expiry_problems)
    schema = schema_problem(claims.certificate)
    if schema is not None:
        reasons.append(reason("schema-invalid", schema))
    checks: dict[CheckName, bool | None] = {
        "decode": True,
        "signature": signature,
        "expiry": not expiry_problems,
        "schema": schema is None,
        "key_usage": key_usage,
    }
    valid = not reasons
    country = claims.issuer or (key.country if key else None)
    facts = dcc_facts(claims.certificate, country) if valid else ()
    return ForeignVerdict(FORMAT, checks, tuple(reasons), facts)


def unprefix(text: str) -> str:
    """The Base45 text after `HC1:`, the context identifier of version 1 (vectors H1–H3)."""
    if not text.startswith(PREFIX):
        raise DccLayerError(reason("bad-prefix", f"expected {PREFIX}"))
    if len(text) > MAX_TEXT_LENGTH:
        raise DccLayerError(reason("bad-encoding", "longer than any QR code holds"))
    return text[len(PREFIX) :]


def decode_base45(text: str) -> bytes:
    return _layer(b45decode, text)


def inflate_layer(compressed: bytes) -> bytes:
    return _layer(lambda data: inflate(data, MAX_INFLATED_BYTES), compressed)


def read_sign1(data: bytes) -> DccSign1:
    """The parts of a COSE_Sign1, tagged (18), inside a CWT tag (61), or untagged."""
    message = _layer(_decode_cbor, data)
    if isinstance(message, cbor2.CBORTag) and message.tag == CWT_TAG:
        message = message.value
    if isinstance(message, cbor2.CBORTag):
        if message.tag != COSE_SIGN1_TAG:
            raise _malformed(f"CBOR tag {message.tag} is not a COSE_Sign1")
        message = message.value
    protected_bytes, unprotected, payload, signature = _layer(sign1_parts, message)
    protected = _layer(_decode_cbor, protected_bytes) if protected_bytes else {}
    if not isinstance(protected, Mapping):
        raise _malformed("the protected header is not a map")
    alg = protected[ALG] if ALG in protected else unprotected.get(ALG)
    kid = protected[KID] if KID in protected else unprotected.get(KID)
    if alg is not None and type(alg) is not int:
        raise _malformed("the algorithm is not an integer")
    if kid is not None and not isinstance(kid, bytes):
        raise _malformed("the key id is not a byte string")
    return DccSign1(protected_bytes, alg, kid, payload, signature)


def read_claims(payload: bytes) -> DccClaims:
    claims = _layer(_decode_cbor, payload)
    if not isinstance(claims, Mapping):
        raise _malformed("the CWT claims are not a map")
    hcert = claims.get(HCERT)
    if not isinstance(hcert, Mapping) or not isinstance(hcert.get(DCC_V1), Mapping):
        raise _malformed("no certificate under hcert (-260) member 1")
    issuer = claims.get(ISSUER)
    if issuer is not None and not isinstance(issuer, str):
        raise _malformed("iss is not text")
    certificate = json_form(hcert[DCC_V1])
    if not isinstance(certificate, dict):
        raise _malformed("the certificate is not a map")
    return DccClaims(
        issuer=issuer,
        issued_at=_layer(lambda value: from_numeric_date(value, "iat"), claims.get(ISSUED_AT)),
        expires_at=_layer(lambda value: from_numeric_date(value, "exp"), claims.get(EXPIRES_AT)),
        certificate=certificate,
    )


def json_form(value: object) -> object:
    """A decoded CBOR item as the JSON it encodes; times tagged in the CBOR become their text."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise _malformed("a certificate map has a key that is not text")
        return {key: json_form(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_form(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise _malformed(f"a {type(value).__name__} has no JSON form")


def signature_valid(message: DccSign1, key: DccKey) -> bool:
    """Whether the COSE signature verifies under the DSC's key with the header's algorithm."""
    public_key = key.public_key
    signed = to_be_signed(message.protected_bytes, message.payload)
    try:
        if message.alg == ES256 and isinstance(public_key, ec.EllipticCurvePublicKey):
            if (
                not isinstance(public_key.curve, ec.SECP256R1)
                or len(message.signature) != 2 * _ES256_COORDINATE_BYTES
            ):
                return False
            r = int.from_bytes(message.signature[:_ES256_COORDINATE_BYTES], "big")
            s = int.from_bytes(message.signature[_ES256_COORDINATE_BYTES:], "big")
            der = encode_dss_signature(r, s)
            public_key.verify(der, signed, ec.ECDSA(hashes.SHA256()))
            return True
        if message.alg == PS256 and isinstance(public_key, rsa.RSAPublicKey):
            # RFC 8230 §2: PSS with SHA-256, MGF1 with SHA-256, a salt as long as the hash.
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
            public_key.verify(message.signature, signed, pss, hashes.SHA256())
            return True
    except InvalidSignature:
        return False
    return False


def key_usage_allows(certificate: x509.Certificate, kinds: frozenset[str]) -> bool:
    """Whether the DSC's extended key usages let it sign statements of `kinds` (v, t, r); a DSC
    whose usages cannot be read may sign nothing."""
    usages = extended_key_usages(certificate)
    if usages is None:
        return False
    allowed = {_KIND_OF_USAGE[oid] for oid in usages if oid in _KIND_OF_USAGE}
    return not allowed or kinds <= allowed


def extended_key_usages(certificate: x509.Certificate) -> frozenset[str] | None:
    """The dotted OIDs of the certificate's extended key usage extension (none if it has none;
    None if it cannot be read).

    `cryptography` refuses an extension list whose EKU is empty (RFC 5280 asks for one OID at
    least), yet such DSCs were issued (vector CO15); the extension is then read from the DER by
    hand.
    """
    try:
        extension = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return frozenset()
    except ValueError:
        try:
            return _eku_from_der(certificate.tbs_certificate_bytes)
        except (IndexError, ValueError):  # cut short or malformed: nothing can be said of it
            return None
    return frozenset(oid.dotted_string for oid in extension.value)


@cache
def _schema_validator() -> Draft202012Validator:
    text = resources.files("healthcode.foreign").joinpath("dcc.schema.json").read_text("utf-8")
    schema = json.loads(text)
    # Every local reference inlined once here: resolving them on each check was three quarters of
    # a whole verification's time (bench/foreign_dcc.py). The schema has no recursive reference.
    inlined = _inlined(schema, schema.pop("$defs"))
    if not isinstance(inlined, dict):
        raise TypeError("the DCC schema is not an object")
    return Draft202012Validator(inlined, format_checker=FormatChecker())


def _inlined(node: object, definitions: Mapping[str, object]) -> object:
    """`node` with each `{"$ref": "#/$defs/x", …}` replaced by definition x and its siblings."""
    if isinstance(node, list):
        return [_inlined(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    inlined = {key: _inlined(value, definitions) for key, value in node.items() if key != "$ref"}
    reference = node.get("$ref")
    if reference is None:
        return inlined
    target = _inlined(definitions[str(reference).removeprefix("#/$defs/")], definitions)
    if not isinstance(target, dict):
        raise TypeError(f"{reference} is not a schema object")
    return target | inlined


def schema_problem(certificate: Mapping[str, object]) -> str | None:
    """Where the payload breaks the DCC schema (a path and a rule, never a value), or None."""
    errors = sorted(_schema_validator().iter_errors(certificate), key=lambda error: error.path)
    if errors:
        first = errors[0]
        return f"{first.json_path}: {first.validator}"
    # The schema's date-time format is not checked without an RFC 3339 library: checked here.
    for kind in _statement_kinds(certificate):
        for index, entry in enumerate(_entries(certificate, kind)):
            if _instant(entry[_WHEN[kind]]) is None:
                return f"$.{kind}[{index}].{_WHEN[kind]}: format"
    return None


def dcc_facts(certificate: Mapping[str, object], country: str | None) -> tuple[ForeignFact, ...]:
    """What a schema-valid certificate states, as facts (one per v, t or r entry)."""
    name = certificate["nam"]
    holder = _holder_name(name if isinstance(name, Mapping) else {})
    birth = str(certificate.get("dob", ""))
    facts = []
    for kind in sorted(_statement_kinds(certificate)):
        for entry in _entries(certificate, kind):
            occurred, details = _statement(kind, entry)
            facts.append(
                ForeignFact(
                    kind=_KINDS[kind],
                    country=country or str(entry.get("co", "")),
                    occurred_at=occurred,
                    details=details,
                    holder_name=holder,
                    holder_birth_date=birth,
                )
            )
    return tuple(facts)


def _statement(kind: str, entry: Mapping[str, object]) -> tuple[datetime, dict[str, str]]:
    common = {
        "target": str(entry["tg"]),
        "event_country": str(entry["co"]),
        "issuer": str(entry["is"]),
        "certificate_id": str(entry["ci"]),
    }
    if kind == "v":
        details = {
            "vaccine": str(entry["vp"]),
            "product": str(entry["mp"]),
            "manufacturer": str(entry["ma"]),
            "dose": f"{entry['dn']}/{entry['sd']}",
        }
    elif kind == "t":
        result = str(entry["tr"])
        details = {
            "type": str(entry["tt"]),
            "result": _TEST_RESULTS.get(result, result),
            "result_code": result,
        }
        details |= {label: str(entry[key]) for key, label in _TEST_OPTIONAL if key in entry}
    else:
        details = {"valid_from": str(entry["df"]), "valid_until": str(entry["du"])}
    occurred = _instant(entry[_WHEN[kind]])
    if occurred is None:
        raise ValueError("facts come only from a certificate that passed schema_problem")
    return occurred, common | details


_TEST_OPTIONAL: Final = (("nm", "name"), ("ma", "device"), ("tc", "centre"))


def _statement_kinds(certificate: Mapping[str, object]) -> frozenset[str]:
    return frozenset(kind for kind in _KINDS if kind in certificate)


def _entries(certificate: Mapping[str, object], kind: str) -> list[Mapping[str, object]]:
    entries = certificate[kind]
    if not isinstance(entries, list):
        return []
    return [entry for entry in entries if isinstance(entry, Mapping)]


def _instant(value: object) -> datetime | None:
    """A date (midnight UTC) or an RFC 3339 date-time with an offset; None if neither."""
    if not isinstance(value, str):
        return None
    try:
        if len(value) == len("2021-05-01"):
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.utcoffset() is not None else None


def _holder_name(name: Mapping[str, object]) -> str:
    """Surname(s), forename(s), in that order as the DCC names them; transliterated if no other."""
    surname = name.get("fn") or name.get("fnt") or ""
    forename = name.get("gn") or name.get("gnt") or ""
    return ", ".join(str(part) for part in (surname, forename) if part)


def _expiry_problems(claims: DccClaims, key: DccKey | None, at: datetime) -> list[Reason]:
    problems = []
    if at < claims.issued_at:
        problems.append(reason("not-yet-valid"))
    if at > claims.expires_at:
        problems.append(reason("expired"))
    if key is not None:
        if at < key.certificate.not_valid_before_utc:
            problems.append(reason("signer-not-yet-valid"))
        if at > key.certificate.not_valid_after_utc:
            problems.append(reason("signer-expired"))
    return problems


def _signature_refusal(message: DccSign1) -> str:
    if message.alg not in (ES256, PS256):
        return "unsupported-algorithm"
    return "signature-invalid"


def _eku_from_der(tbs: bytes) -> frozenset[str]:
    """The OIDs of the extKeyUsage extension found in a TBSCertificate's DER, by hand."""
    start = tbs.find(_EKU_OID_DER)
    if start < 0:
        return frozenset()
    offset = start + len(_EKU_OID_DER)
    tag, value, offset = _der_item(tbs, offset)
    if tag == 0x01:  # the optional `critical` BOOLEAN
        tag, value, offset = _der_item(tbs, offset)
    if tag != 0x04:
        return frozenset()
    tag, sequence, _ = _der_item(value, 0)
    oids = []
    position = 0
    while tag == 0x30 and position < len(sequence):
        oid_tag, oid, position = _der_item(sequence, position)
        if oid_tag != 0x06 or not oid:
            raise ValueError("an extended key usage that is not an OID")
        oids.append(_dotted(oid))
    return frozenset(oids)


def _der_item(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """(tag, value, offset after it) of the DER item at `offset`."""
    tag, length = data[offset], data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    if offset + length > len(data):
        raise ValueError("a DER item longer than what holds it")
    return tag, data[offset : offset + length], offset + length


def _dotted(oid: bytes) -> str:
    arcs, value = [], 0
    for byte in oid:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in (first, arcs[0] - 40 * first, *arcs[1:]))


def _layer(undo: Callable[[_In], _Out], data: _In) -> _Out:
    """`undo(data)`, with the token layers' `TokenError` turned into the DCC's located reason."""
    try:
        return undo(data)
    except TokenError as error:
        code = _REASON_OF_REJECTION.get(error.rejection, "bad-structure")
        raise DccLayerError(reason(code, error.detail)) from None


def _decode_cbor(data: bytes) -> object:
    # Issuers in the field encode maps and arrays with indefinite lengths (RFC 8949 §3.2.2): the
    # signature covers the bytes as sent, so the one reading is still the signed one.
    return decode_cbor(data, allow_indefinite=True)


def _malformed(detail: str) -> DccLayerError:
    return DccLayerError(reason("bad-structure", detail))

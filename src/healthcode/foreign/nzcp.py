"""NZ COVID Pass (`NZCP:/1/…`), verified offline as the NZ COVID Pass Technical Specification v1
(nzcp.covid19.health.nz, "Steps to verify a New Zealand COVID Pass") lays it out:

1. the text is `NZCP:/`, the version `1`, `/`, then Base32 (RFC 4648 §6) without padding;
2. the bytes are a COSE_Sign1 (tag 18) whose protected header names `kid` and `alg` ES256 (-7);
3. the CWT claims carry `iss` (a DID, 1), `nbf` (5), `exp` (4), `cti` (7, 16 bytes: the
   credential id, `urn:uuid:…`) and `vc`;
4. `iss` must be a trusted issuer: here, one whose DID document is in the trust material (the
   Ministry of Health's `did:web:nzcp.identity.health.nz`; the specification's examples are
   signed as `did:web:nzcp.covid19.health.nz`). The key is the document's verification method
   `iss#kid`, referenced from its `assertionMethod`, a public P-256 JWK;
5. the signature verifies; 6. `nbf` <= now < `exp`; 7. `vc` is a `PublicCovidPass`: `@context`
   beginning with the W3C credentials context and holding the NZCP one, `type`
   VerifiableCredential and PublicCovidPass, `version`, and `credentialSubject` with `givenName`,
   optional `familyName`, and `dob`.

The ECDSA signature may have either `s` of a pair (the specification does not ask for low S, and
its own valid example has a high one), unlike this project's own codes.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final

from cryptography.hazmat.primitives.asymmetric import ec

from healthcode.foreign.judging import Judgement
from healthcode.foreign.reasons import reason
from healthcode.foreign.trust import TrustMaterial
from healthcode.foreign.verdicts import ForeignFact, ForeignVerdict
from healthcode.tokens.cose import Sign1, decode_cbor, parse_sign1, verify_sign1
from healthcode.tokens.errors import TokenError
from healthcode.tokens.jwk import JwkError, public_key_from_jwk

PREFIX: Final = "NZCP:/"
VERSION: Final = "1"
COUNTRY: Final = "NZ"  # every NZ COVID Pass is issued by New Zealand's Ministry of Health
CREDENTIALS_CONTEXT: Final = "https://www.w3.org/2018/credentials/v1"
NZCP_CONTEXT: Final = "https://nzcp.covid19.health.nz/contexts/v1"
PASS_TYPE: Final = "PublicCovidPass"  # noqa: S105 - a credential type, not a secret
# CWT claim keys (RFC 8392 §3.1); `vc` is the specification's own, by its name.
ISS: Final = 1
EXP: Final = 4
NBF: Final = 5
CTI: Final = 7
_BASE32: Final = re.compile(r"[A-Z2-7]+")
_CTI_BYTES: Final = 16
_DOB: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _UndecodableError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def verify_nzcp(text: str, trust: TrustMaterial, at: datetime) -> ForeignVerdict:
    """Judge an NZ COVID Pass's QR text at `at` against the trusted issuers' DID documents."""
    judgement = Judgement("nzcp")
    try:
        message, claims = _decoded(text.strip())
    except _UndecodableError as problem:
        judgement.failed("decode", reason(problem.code))
        return judgement.verdict()
    judgement.passed("decode")
    key = _issuer_key(message, claims, trust, judgement)
    if key is not None:
        if verify_sign1(message, key, low_s_only=False):
            judgement.passed("signature")
        else:
            judgement.failed("signature", reason("signature-invalid"))
    _judge_times(claims, at, judgement)
    fact = _pass_fact(claims, judgement)
    return judgement.verdict([fact] if fact is not None else [])


def _decoded(text: str) -> tuple[Sign1, Mapping[object, object]]:
    if not text.startswith(PREFIX):
        raise _UndecodableError("nzcp-prefix")
    version, separator, encoded = text[len(PREFIX) :].partition("/")
    if not separator or version != VERSION:
        raise _UndecodableError("nzcp-version")
    data = _base32(encoded)
    try:
        message = parse_sign1(data)
        claims = decode_cbor(message.payload)
    except TokenError:
        raise _UndecodableError("nzcp-cose") from None
    if not isinstance(claims, Mapping):
        raise _UndecodableError("nzcp-claims")
    return message, claims


def _base32(encoded: str) -> bytes:
    """RFC 4648 Base32 without padding, one text for one byte string (no stray trailing bits)."""
    if not _BASE32.fullmatch(encoded):
        raise _UndecodableError("nzcp-base32")
    try:
        data = base64.b32decode(encoded + "=" * (-len(encoded) % 8))
    except binascii.Error:
        raise _UndecodableError("nzcp-base32") from None
    if base64.b32encode(data).decode("ascii").rstrip("=") != encoded:
        raise _UndecodableError("nzcp-base32")
    return data


def _issuer_key(
    message: Sign1, claims: Mapping[object, object], trust: TrustMaterial, judgement: Judgement
) -> ec.EllipticCurvePublicKey | None:
    iss = claims.get(ISS)
    document = next(
        (doc for doc in trust.did_documents if isinstance(iss, str) and doc.get("id") == iss),
        None,
    )
    if document is None:
        judgement.failed("signature", reason("unknown-issuer"))
        return None
    try:
        method_id = f"{iss}#{message.kid.decode('utf-8')}"
    except UnicodeDecodeError:
        judgement.failed("signature", reason("unknown-key"))
        return None
    methods = document.get("verificationMethod")
    method = next(
        (
            item
            for item in (methods if isinstance(methods, list) else [])
            if isinstance(item, Mapping) and item.get("id") == method_id
        ),
        None,
    )
    if method is None:
        judgement.failed("signature", reason("unknown-key"))
        return None
    assertion = document.get("assertionMethod")
    if not isinstance(assertion, list) or method_id not in assertion:
        judgement.failed("key_usage", reason("key-not-assertion"))
        return None
    try:
        key = public_key_from_jwk(method.get("publicKeyJwk"))
    except JwkError:
        judgement.failed("key_usage", reason("key-unusable"))
        return None
    judgement.passed("key_usage")
    return key


def _judge_times(claims: Mapping[object, object], at: datetime, judgement: Judgement) -> None:
    nbf, exp = claims.get(NBF), claims.get(EXP)
    if not (_is_seconds(nbf) and _is_seconds(exp)):
        judgement.failed("schema", reason("nzcp-claims"))
        return
    assert isinstance(nbf, int)  # noqa: S101 - `_is_seconds` said so
    assert isinstance(exp, int)  # noqa: S101
    now = at.timestamp()
    if now < nbf:
        judgement.failed("expiry", reason("not-yet-valid"))
    elif now >= exp:
        judgement.failed("expiry", reason("expired"))
    else:
        judgement.passed("expiry")


def _is_seconds(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _pass_fact(claims: Mapping[object, object], judgement: Judgement) -> ForeignFact | None:
    """What a PublicCovidPass proves: that New Zealand deemed its holder vaccinated (the pass
    names no dose, no product and no date of vaccination; it is valid from `nbf`)."""
    subject = _subject(claims)
    cti = claims.get(CTI)
    if subject is None or not (isinstance(cti, bytes) and len(cti) == _CTI_BYTES):
        judgement.failed("schema", reason("nzcp-vc") if subject is None else reason("nzcp-claims"))
        return None
    judgement.passed("schema")
    nbf, exp = claims.get(NBF), claims.get(EXP)
    if not (isinstance(nbf, int) and isinstance(exp, int)):
        return None
    given, family, dob = subject
    details = {
        "evidence": PASS_TYPE,
        "valid_until": datetime.fromtimestamp(exp, UTC).isoformat(),
    }
    name = f"{family}, {given}" if family else given  # "Family, Given", as every format
    return ForeignFact("vaccination", COUNTRY, datetime.fromtimestamp(nbf, UTC), details, name, dob)


def _subject(claims: Mapping[object, object]) -> tuple[str, str, str] | None:
    vc = claims.get("vc")
    if not isinstance(vc, Mapping):
        return None
    context, types, subject = vc.get("@context"), vc.get("type"), vc.get("credentialSubject")
    if not (
        isinstance(context, list)
        and context[:1] == [CREDENTIALS_CONTEXT]
        and NZCP_CONTEXT in context
        and isinstance(types, list)
        and {"VerifiableCredential", PASS_TYPE} <= set(types)
        and isinstance(vc.get("version"), str)
        and isinstance(subject, Mapping)
    ):
        return None
    given, family, dob = (subject.get(name) for name in ("givenName", "familyName", "dob"))
    if not (isinstance(given, str) and given.strip()):
        return None
    if family is not None and not isinstance(family, str):
        return None
    if not (isinstance(dob, str) and _DOB.fullmatch(dob)):
        return None
    return given, family or "", dob

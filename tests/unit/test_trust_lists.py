"""Trust lists and gateway lists: signed, verified under a root, refused when touched (S1)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from codes_builders import ISSUED, code, read_list, signed_list, signing_key, trusted
from healthcode.services.codes.trust import ListTrust, verify_any_list
from healthcode.tokens import Rejection
from healthcode.tokens.base64url import b64url_decode, b64url_encode
from healthcode.tokens.gateway_lists import GATEWAY_LIST_TYPE, verify_gateway_list
from healthcode.tokens.jwk import JwkError, public_jwk, public_key_from_jwk
from healthcode.tokens.jws import canonical_json, sign_jws
from healthcode.tokens.keys import KeyPurpose, KeyStatus
from healthcode.tokens.trust_lists import TrustListError, verify_trust_list

ROOT = signing_key("CN-32")
CODE_KEY = signing_key("CN-32")
RETIRED_KEY = signing_key("CN-32")
DOCUMENT = signed_list(
    ROOT,
    [
        trusted(CODE_KEY),
        trusted(RETIRED_KEY, status=KeyStatus.RETIRED, not_after=ISSUED + timedelta(days=7)),
    ],
)
ROOT_JWK = public_jwk(ROOT.public_key)


def with_payload(document: dict[str, str], payload: bytes) -> dict[str, str]:
    return {**document, "payload": b64url_encode(payload)}


def gateway_document(gateway: Any, lists: list[dict[str, str]]) -> dict[str, str]:
    payload = {"format": 1, "gateway": "CN", "issued_at": ISSUED.isoformat(), "issuers": lists}
    return sign_jws(
        canonical_json(payload), gateway.private_key, kid=gateway.kid, typ=GATEWAY_LIST_TYPE
    )


def test_a_signed_list_verifies_under_its_root_and_reads_back__S1() -> None:
    listed = verify_trust_list(DOCUMENT, ROOT_JWK)
    assert (listed.issuer, listed.issued_at, listed.revoked) == ("CN-32", ISSUED, frozenset())
    assert [(key.kid, key.purpose, key.status) for key in listed.keys] == [
        (ROOT.kid, KeyPurpose.TRUST_LIST, KeyStatus.ACTIVE),
        (CODE_KEY.kid, KeyPurpose.CODE, KeyStatus.ACTIVE),
        (RETIRED_KEY.kid, KeyPurpose.CODE, KeyStatus.RETIRED),
    ]
    assert listed.keys[2].not_after == ISSUED + timedelta(days=7)
    payload = json.loads(b64url_decode(DOCUMENT["payload"]))
    assert set(payload) == {"format", "issuer", "issued_at", "keys", "revoked"}
    assert set(payload["keys"][0]) == {"kid", "jwk", "purpose", "not_before", "not_after", "status"}


def test_a_changed_byte_anywhere_in_the_payload_fails__S1() -> None:
    payload = b64url_decode(DOCUMENT["payload"])
    for position in range(len(payload)):
        tampered = bytearray(payload)
        tampered[position] ^= 0x01
        with pytest.raises(TrustListError):
            verify_trust_list(with_payload(DOCUMENT, bytes(tampered)), ROOT_JWK)


@pytest.mark.parametrize("member", ["protected", "payload", "signature"])
def test_a_changed_character_of_any_member_fails__S1(member: str) -> None:
    text = DOCUMENT[member]
    for position in range(len(text)):
        replacement = "A" if text[position] != "A" else "B"
        tampered = {**DOCUMENT, member: text[:position] + replacement + text[position + 1 :]}
        with pytest.raises(TrustListError):
            verify_trust_list(tampered, ROOT_JWK)


def forged_header(header: dict[str, object]) -> dict[str, str]:
    return {**DOCUMENT, "protected": b64url_encode(canonical_json(header))}


@pytest.mark.parametrize(
    ("document", "root", "reason"),
    [
        (DOCUMENT, public_jwk(CODE_KEY.public_key), "not by the given root"),
        (DOCUMENT, {**public_jwk(CODE_KEY.public_key), "kid": ROOT.kid}, "kid is not the key id"),
        ({**DOCUMENT, "header": {}}, ROOT_JWK, "exactly protected, payload and signature"),
        (forged_header({"alg": "none", "kid": ROOT.kid, "typ": "x"}), ROOT_JWK, "not ES256"),
        (
            forged_header({"alg": "ES256", "kid": ROOT.kid, "typ": GATEWAY_LIST_TYPE}),
            ROOT_JWK,
            "where a healthcode-trust-list\\+json was expected",
        ),
        (
            forged_header({"alg": "ES256", "kid": ROOT.kid, "typ": "t", "crit": ["exp"]}),
            ROOT_JWK,
            "critical",
        ),
        (DOCUMENT, {**ROOT_JWK, "d": "AAAA"}, "private key material"),
        (DOCUMENT, {**ROOT_JWK, "crv": "P-384"}, "P-256"),
        ([DOCUMENT], ROOT_JWK, "not a flattened JWS"),
        ({**DOCUMENT, "payload": DOCUMENT["payload"] + "="}, ROOT_JWK, "does not verify"),
        ({**DOCUMENT, "signature": DOCUMENT["signature"] + "="}, ROOT_JWK, "not base64url"),
    ],
)
def test_a_list_not_signed_as_expected_is_refused_whole__S1(
    document: object, root: dict[str, str], reason: str
) -> None:
    with pytest.raises(TrustListError, match=reason):
        verify_trust_list(document, root)


def test_a_jwk_point_off_the_curve_is_refused() -> None:
    off_curve = {**ROOT_JWK, "y": b64url_encode(bytes(32))}
    off_curve.pop("kid")
    with pytest.raises(JwkError, match="not on P-256"):
        public_key_from_jwk(off_curve)


def test_an_entry_cannot_rename_its_key__S1() -> None:
    payload = json.loads(b64url_decode(DOCUMENT["payload"]))
    payload["keys"][1]["kid"] = RETIRED_KEY.kid  # CODE_KEY's entry claims another key's id
    document = signed_payload(payload)
    with pytest.raises(TrustListError, match=r"keys\[1\]: its kid is not the key id"):
        verify_trust_list(document, ROOT_JWK)


def signed_payload(payload: dict[str, Any]) -> dict[str, str]:
    return sign_jws(
        canonical_json(payload), ROOT.private_key, kid=ROOT.kid, typ="healthcode-trust-list+json"
    )


def test_the_newest_list_counts_and_a_revocation_is_never_undone__S1() -> None:
    revoked = signed_list(
        ROOT,
        [trusted(CODE_KEY, status=KeyStatus.REVOKED)],
        issued_at=ISSUED + timedelta(hours=1),
    )
    replacement = signing_key("CN-32")
    newest = signed_list(
        ROOT, [trusted(CODE_KEY), trusted(replacement)], issued_at=ISSUED + timedelta(hours=2)
    )
    trust = ListTrust([read_list(doc, ROOT) for doc in (DOCUMENT, revoked, newest)], "CN-33")
    assert trust.find_key("CN-32", CODE_KEY.kid) is Rejection.REVOKED
    assert trust.find_key("CN-32", replacement.kid) == read_list(newest, ROOT).keys[2]
    assert trust.find_key("CN-32", ROOT.kid) is Rejection.UNKNOWN_KEY  # the root signs lists only
    assert trust.find_key("CN-31", CODE_KEY.kid) is Rejection.ISSUER_NOT_TRUSTED
    assert trust.list_age_seconds("CN-32", ISSUED + timedelta(hours=3)) == 3600


def test_a_gateway_list_carries_each_issuer_under_the_gateway_root__S1() -> None:
    gateway, zhejiang_root, zhejiang_key = signing_key("CN"), signing_key("CN-33"), signing_key()
    zhejiang = signed_list(zhejiang_root, [trusted(zhejiang_key)])
    combined = gateway_document(gateway, [DOCUMENT, zhejiang])
    verified = verify_gateway_list(combined, public_jwk(gateway.public_key))
    assert [listed.issuer for listed in verified.lists] == ["CN-32", "CN-33"]
    roots = [public_jwk(gateway.public_key), ROOT_JWK]
    assert [listed.issuer for listed in verify_any_list(combined, roots)] == ["CN-32", "CN-33"]
    assert [listed.issuer for listed in verify_any_list(DOCUMENT, roots)] == ["CN-32"]
    with pytest.raises(TrustListError, match="not among the given roots"):
        verify_any_list(combined, [ROOT_JWK])
    with pytest.raises(TrustListError, match="names an issuer twice"):
        verify_gateway_list(
            gateway_document(gateway, [DOCUMENT, DOCUMENT]), public_jwk(gateway.public_key)
        )


def test_a_code_signed_by_a_listed_key_is_found_by_its_kid__S1() -> None:
    trust = ListTrust([read_list(DOCUMENT, ROOT)])
    token_kid = b64url_encode(CODE_KEY.kid_bytes)
    assert token_kid == CODE_KEY.kid
    assert code(CODE_KEY).startswith("HZ1:")
    found = trust.find_key("CN-32", token_kid)
    assert not isinstance(found, Rejection)
    assert found.public_key.public_numbers() == CODE_KEY.public_key.public_numbers()

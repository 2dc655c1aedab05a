"""Trust material for foreign certificates (A8, S1): every file kind read, bad files located."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from healthcode.foreign.shc_revocation import list_problems
from healthcode.foreign.trust import (
    ShcRevocationList,
    TrustFileError,
    certificate_kid,
    load_trust,
    merged,
    read_trust,
)
from healthcode.foreign.verdicts import (
    CHECKS,
    CheckName,
    ForeignFact,
    ForeignVerdict,
    Reason,
    undecodable,
)

VECTORS = Path(__file__).parents[1] / "conformance" / "dcc"


def _vector_certificate_der(relative: str) -> bytes:
    vector = json.loads((VECTORS / relative).read_text(encoding="utf-8"))
    return base64.b64decode(vector["TESTCTX"]["CERTIFICATE"])


DER = _vector_certificate_der("DE/2DCode/raw/1.json")
OTHER_DER = _vector_certificate_der("AT/2DCode/raw/1.json")


def test_a_der_certificate_is_a_dcc_key_by_its_hash() -> None:
    trust = read_trust(DER, "dsc.der")
    (certificate,) = trust.certificates
    assert certificate_kid(certificate) in trust.dcc_keys
    assert trust.dcc_keys[certificate_kid(certificate)].country == "DE"


def test_pem_and_base64_der_read_the_same_certificate() -> None:
    certificate = read_trust(DER, "dsc.der").certificates[0]
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    assert read_trust(pem, "dsc.pem").dcc_keys.keys() == read_trust(DER, "x").dcc_keys.keys()
    assert read_trust(base64.b64encode(DER), "dsc.b64").certificates == (certificate,)
    wrapped = base64.encodebytes(DER)  # 76 characters a line
    assert read_trust(wrapped, "dsc.b64").certificates == (certificate,)


def test_the_eu_gateway_trust_list_keeps_its_dscs_and_their_countries() -> None:
    kid = certificate_kid(read_trust(DER, "x").certificates[0])
    entries = [
        {
            "kid": base64.b64encode(kid).decode(),
            "country": "DE",
            "certificateType": "DSC",
            "rawData": base64.b64encode(DER).decode(),
        },
        {"certificateType": "CSCA", "country": "AT", "rawData": "not even base64"},
    ]
    for document in (entries, {"certificates": entries}):
        trust = read_trust(json.dumps(document).encode(), "trustlist.json")
        assert list(trust.dcc_keys) == [kid]
        assert trust.dcc_keys[kid].country == "DE"


def test_a_trust_list_entry_whose_kid_is_not_its_certificates_is_refused() -> None:
    entry = {"kid": "AAAAAAAAAAA=", "country": "DE", "rawData": base64.b64encode(DER).decode()}
    with pytest.raises(TrustFileError, match=r"list\.json: entry 1: kid does not match"):
        read_trust(json.dumps([{"certificateType": "UPLOAD"}, entry]).encode(), "list.json")


def test_jwks_and_did_documents_are_kept_as_parsed_json() -> None:
    jwks = {"keys": [{"kty": "EC", "crv": "P-256", "x": "x", "y": "y", "kid": "k"}]}
    did = {"id": "did:web:nzcp.identity.health.nz", "assertionMethod": []}
    trust = merged(
        read_trust(json.dumps(jwks).encode(), "a"), read_trust(json.dumps(did).encode(), "b")
    )
    assert trust.jwks == (jwks,)
    assert trust.did_documents == (did,)
    assert not trust.dcc_keys


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (b"", "the file is empty"),
        (b'{"keys": [1]}', "a JWKS's keys are objects"),
        (b'{"x": 1,\n "y": }', "line 2 column"),
        (b'{"id": "https://example.org"}', "not a trust list, a JWKS"),
        (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "not a PEM certificate"),
        (b"\x30\x03\x02\x01\x00", "not an X.509 certificate"),
        (b'[{"rawData": "QUJD"}]', "entry 0: rawData is not a base64 DER certificate"),
        (b'[{"country": "DE"}]', "entry 0: no rawData"),
        (b'{"kid": "k", "method": "rid", "ctr": "1", "rids": []}', "ctr is not an integer"),
        (b'{"kid": "k", "method": "rid", "ctr": 1, "rids": ["a", 2]}', "rids entry 1 is not"),
        (b'{"kid": 3, "method": "rid", "ctr": 1, "rids": []}', "kid is not a key id"),
    ],
)
def test_a_bad_trust_file_is_a_located_error(content: bytes, where: str) -> None:
    with pytest.raises(TrustFileError) as raised:
        read_trust(content, "bad-file")
    assert str(raised.value).startswith("bad-file: ")
    assert where in str(raised.value)


def test_a_revocation_list_is_kept_by_its_key_and_the_newer_version_wins() -> None:
    def crl(ctr: int, *rids: str) -> bytes:
        return json.dumps({"kid": "k", "method": "rid", "ctr": ctr, "rids": list(rids)}).encode()

    trust = merged(read_trust(crl(2, "b"), "new"), read_trust(crl(1, "a"), "old"))
    assert trust.shc_revocations == {"k": ShcRevocationList("k", "rid", 2, ("b",))}


NOT_A_RID, NOT_SECONDS = "not base64url of at most 24", "the timestamp is not seconds"


@pytest.mark.parametrize(
    ("method", "rids", "problems"),
    [
        ("rid", ("abc", "abc.1638311286", "x_y-Z"), ["rids entry 1: repeats entry 0"]),
        ("other", ("abc",), ["method is not rid"]),
        ("rid", ("a" * 25, "b+c", ""), [f"rids entry {n}: {NOT_A_RID}" for n in (0, 1, 2)]),
        ("rid", ("abc.12x", "abd.1.2"), [f"rids entry {n}: {NOT_SECONDS}" for n in (0, 1)]),
        ("rid", ("a" * 24 + ".1",), []),
    ],
)  # fmt: skip
def test_a_revocation_list_s_faults_are_located_by_entry(
    method: str, rids: tuple[str, ...], problems: list[str]
) -> None:
    assert list_problems(ShcRevocationList("k", method, 1, rids)) == problems


def test_load_trust_merges_files_and_names_the_unreadable_one(tmp_path: Path) -> None:
    (tmp_path / "a.der").write_bytes(DER)
    (tmp_path / "b.der").write_bytes(OTHER_DER)
    trust = load_trust([tmp_path / "a.der", tmp_path / "b.der"])
    assert len(trust.dcc_keys) == 2
    missing = tmp_path / "missing.pem"
    with pytest.raises(TrustFileError, match=r"missing\.pem"):
        load_trust([tmp_path / "a.der", missing])


def test_a_verdict_is_valid_only_if_decoded_and_no_check_failed() -> None:
    reason = Reason("expired", "已过期", "expired")
    failed = undecodable("eu-dcc", Reason("bad-prefix", "前缀错误", "bad prefix"))
    assert not failed.valid
    assert failed.to_json()["checks"] == {
        "decode": False,
        "signature": None,
        "expiry": None,
        "schema": None,
        "key_usage": None,
    }
    checks: dict[CheckName, bool | None] = dict.fromkeys(CHECKS, True)
    checks["key_usage"] = None
    fact = ForeignFact(
        "test", "DE", datetime(2021, 5, 1, tzinfo=UTC), {"result": "negative"}, "X", "1990"
    )
    valid = ForeignVerdict("eu-dcc", checks, (), (fact,))
    assert valid.valid
    assert valid.to_json()["facts"] == [fact.to_json()]
    with pytest.raises(ValueError, match="only a valid certificate"):
        ForeignVerdict("eu-dcc", {**checks, "expiry": False}, (reason,), (fact,))
    with pytest.raises(ValueError, match="every check"):
        ForeignVerdict("eu-dcc", {"decode": True}, (), ())

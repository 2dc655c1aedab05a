"""EU DCC verification (A8, S1, S5): each check refuses exactly what it is about, with a reason."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from foreign_builders import (
    DURING,
    EXPIRES,
    HOLDER,
    ISSUED,
    OID_RECOVERY,
    OID_TEST,
    OID_VACCINATION,
    RECOVERY,
    RSA_KEY,
    TEST,
    VACCINATION,
    claims,
    cose,
    dcc,
    dsc,
    hc1,
    trusting,
)
from healthcode.foreign.dcc import verify_cose, verify_dcc
from healthcode.foreign.reasons import CODES
from healthcode.foreign.trust import TrustMaterial
from healthcode.foreign.verdicts import ForeignVerdict, shown_json
from healthcode.foreign.verify import UnknownFormat, verify_foreign
from healthcode.tokens.base45 import ALPHABET, b45encode

DSC = dsc()
TRUST = trusting(DSC)
VACCINATED = dcc(v=[VACCINATION])


def codes(verdict: ForeignVerdict) -> list[str]:
    return [reason.code for reason in verdict.reasons]


def test_a_valid_vaccination_certificate_proves_its_fact__A8_S5() -> None:
    verdict = verify_dcc(hc1(cose(claims(VACCINATED), DSC)), TRUST, DURING)
    assert verdict.valid
    assert verdict.checks == {
        "decode": True,
        "signature": True,
        "expiry": True,
        "schema": True,
        "key_usage": True,
    }
    (fact,) = verdict.facts
    assert fact.kind == "vaccination"
    assert fact.country == "AT"
    assert fact.occurred_at == datetime(2021, 5, 20, tzinfo=UTC)
    assert fact.details["product"] == "EU/1/20/1528"
    assert fact.details["dose"] == "2/2"
    assert fact.holder_name == "Musterfrau-Gößinger, Gabriele"
    assert fact.holder_birth_date == "1998-02-26"


@pytest.mark.parametrize(
    ("statement", "kind", "occurred", "details"),
    [
        (
            {"t": [TEST]},
            "test",
            datetime(2021, 5, 31, 12, 34, 56, tzinfo=UTC),
            {"type": "LP6464-4", "result": "negative", "centre": "Testing centre Vienna 1"},
        ),
        (
            {"r": [RECOVERY]},
            "recovery",
            datetime(2021, 4, 10, tzinfo=UTC),
            {"valid_from": "2021-04-21", "valid_until": "2021-10-10"},
        ),
    ],
)
def test_tests_and_recoveries_prove_theirs__A8_S5(
    statement: dict[str, list[dict[str, object]]],
    kind: str,
    occurred: datetime,
    details: dict[str, str],
) -> None:
    verdict = verify_dcc(hc1(cose(claims(dcc(**statement)), DSC)), TRUST, DURING)
    (fact,) = verdict.facts
    assert (fact.kind, fact.occurred_at) == (kind, occurred)
    assert details.items() <= fact.details.items()


def test_ps256_with_an_rsa_signer_verifies__S1() -> None:
    signer = dsc(RSA_KEY)
    verdict = verify_dcc(hc1(cose(claims(VACCINATED), signer, RSA_KEY)), trusting(signer), DURING)
    assert verdict.valid


def test_an_algorithm_that_does_not_fit_the_key_is_refused__S1() -> None:
    # An unsigned header saying PS256 over an EC key (or ES256 over RSA) never verifies.
    message = cose(claims(VACCINATED), DSC, alg=-37)
    verdict = verify_cose(message, TRUST, DURING)
    assert verdict.checks["signature"] is False
    assert codes(verdict) == ["signature-invalid"]


def test_an_unsupported_algorithm_says_so__S1() -> None:
    verdict = verify_cose(cose(claims(VACCINATED), DSC, alg=-35), TRUST, DURING)
    assert codes(verdict) == ["unsupported-algorithm"]


def test_a_payload_changed_after_signing_is_refused__S1() -> None:
    genuine = cbor2.loads(cose(claims(VACCINATED), DSC))
    protected, unprotected, _, signature = genuine.value
    other = cbor2.dumps(claims(dcc(v=[VACCINATION | {"dn": 3, "sd": 3}])))
    tampered = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, other, signature]))
    verdict = verify_cose(tampered, TRUST, DURING)
    assert not verdict.valid
    assert verdict.checks["signature"] is False
    assert verdict.facts == ()


def test_a_key_not_in_the_trust_material_is_unknown__S1() -> None:
    verdict = verify_dcc(hc1(cose(claims(VACCINATED), DSC)), TrustMaterial(), DURING)
    assert codes(verdict) == ["unknown-key"]
    assert verdict.checks["signature"] is False
    assert verdict.checks["key_usage"] is None  # no signer, so no usage to compare


def test_the_kid_may_stand_in_the_unprotected_header__S1() -> None:
    message = cose(claims(VACCINATED), DSC, kid_unprotected=True)
    assert verify_cose(message, TRUST, DURING).valid


@pytest.mark.parametrize("tag", [None, 61])
def test_untagged_and_cwt_tagged_messages_are_read__S1(tag: int | None) -> None:
    message = cose(claims(VACCINATED), DSC, tag=tag)
    if tag == 61:  # CWT tag around the COSE_Sign1 tag
        message = cbor2.dumps(cbor2.CBORTag(61, cbor2.loads(cose(claims(VACCINATED), DSC))))
    assert verify_cose(message, TRUST, DURING).valid


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (ISSUED - timedelta(seconds=1), ["not-yet-valid"]),
        (EXPIRES + timedelta(seconds=1), ["expired"]),
        (ISSUED, []),
        (EXPIRES, []),
    ],
)
def test_the_cwt_times_bound_validity__S1(at: datetime, expected: list[str]) -> None:
    verdict = verify_dcc(hc1(cose(claims(VACCINATED), DSC)), TRUST, at)
    assert codes(verdict) == expected
    assert verdict.checks["expiry"] is (not expected)


def test_a_signer_certificate_out_of_its_validity_fails_expiry__S1() -> None:
    lapsed = dsc(not_after=DURING - timedelta(hours=1))
    verdict = verify_dcc(hc1(cose(claims(VACCINATED), lapsed)), trusting(lapsed), DURING)
    assert codes(verdict) == ["signer-expired"]
    early = dsc(not_before=DURING + timedelta(hours=1))
    verdict = verify_dcc(hc1(cose(claims(VACCINATED), early)), trusting(early), DURING)
    assert codes(verdict) == ["signer-not-yet-valid"]


@pytest.mark.parametrize(
    ("usages", "statement", "allowed"),
    [
        ((), {"v": [VACCINATION]}, True),
        ((OID_VACCINATION,), {"v": [VACCINATION]}, True),
        ((OID_TEST,), {"v": [VACCINATION]}, False),
        ((OID_TEST, OID_RECOVERY), {"r": [RECOVERY]}, True),
        ((OID_VACCINATION,), {"t": [TEST]}, False),
        (("1.3.6.1.4.1.0.1847.2021.1.1",), {"t": [TEST]}, True),
        (("1.3.6.1.4.1.0.1847.2021.1.1",), {"r": [RECOVERY]}, False),
        (("1.3.6.1.5.5.7.3.4",), {"r": [RECOVERY]}, True),  # no DCC usage named: all allowed
    ],
)
def test_the_signers_key_usages_limit_what_it_may_sign__S1(
    usages: tuple[str, ...], statement: dict[str, list[dict[str, object]]], allowed: bool
) -> None:
    signer = dsc(usages=usages)
    verdict = verify_dcc(hc1(cose(claims(dcc(**statement)), signer)), trusting(signer), DURING)
    assert verdict.checks["key_usage"] is allowed
    assert verdict.valid is allowed


def test_an_empty_key_usage_extension_allows_every_kind__S1() -> None:
    signer = dsc(empty_usages=True)
    with pytest.raises(ValueError, match="asn1"):
        _ = signer.extensions  # what `cryptography` makes of it
    verdict = verify_dcc(hc1(cose(claims(VACCINATED), signer)), trusting(signer), DURING)
    assert verdict.checks["key_usage"] is True


def test_a_key_usage_extension_cut_short_lets_the_signer_sign_nothing__S1() -> None:
    der = dsc(empty_usages=True).public_bytes(serialization.Encoding.DER)
    # The usages' SEQUENCE claims 5 bytes it does not have; the outer lengths stay the same.
    broken = x509.load_der_x509_certificate(
        der.replace(bytes.fromhex("04023000"), bytes.fromhex("04023005"))
    )
    verdict = verify_dcc(hc1(cose(claims(VACCINATED), broken)), trusting(broken), DURING)
    assert verdict.checks["key_usage"] is False
    assert "key-usage-mismatch" in codes(verdict)


@pytest.mark.parametrize(
    "certificate",
    [
        dcc(v=[VACCINATION | {"dn": 0}]),
        dcc(v=[VACCINATION], t=[TEST]),
        dcc(v=[VACCINATION, VACCINATION]),
        dcc(t=[TEST | {"sc": "2021-05-31T12:34:56"}]),  # no offset: which instant?
        dcc(r=[RECOVERY | {"fr": "10/04/2021"}]),
        {**dcc(v=[VACCINATION]), "nam": {"fn": "Müller", "fnt": "müller"}},
        {"ver": "1.3.0", "dob": "1998-02-26", "v": [VACCINATION]},
    ],
)
def test_a_payload_outside_the_schema_is_refused_without_its_values__S1(
    certificate: dict[str, object],
) -> None:
    verdict = verify_dcc(hc1(cose(claims(certificate), DSC)), TRUST, DURING)
    assert verdict.checks["schema"] is False
    assert codes(verdict) == ["schema-invalid"]
    text = str([(reason.zh, reason.en) for reason in verdict.reasons])
    assert "ller" not in text
    assert "2021" not in text


def test_tagged_times_in_the_payload_are_read_as_their_text__S1() -> None:
    tagged = TEST | {"sc": datetime(2021, 5, 31, 12, 34, 56, tzinfo=UTC)}
    verdict = verify_dcc(hc1(cose(claims(dcc(t=[tagged])), DSC)), TRUST, DURING)
    assert verdict.valid
    assert verdict.facts[0].occurred_at == datetime(2021, 5, 31, 12, 34, 56, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("HC2:6BF", "bad-prefix"),
        ("HC1:a", "bad-encoding"),
        ("HC1:" + b45encode(b"not zlib"), "bad-compression"),
        ("HC1:" + b45encode(zlib.compress(bytes(1_000_000))), "bad-compression"),
        ("HC1:" + b45encode(zlib.compress(b"\xa1\x01")), "bad-structure"),
        ("HC1:" + b45encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(98, [])))), "bad-structure"),
    ],
)
def test_each_layer_names_its_failure__S1(text: str, code: str) -> None:
    verdict = verify_dcc(text, TRUST, DURING)
    assert codes(verdict) == [code]
    assert verdict.checks["decode"] is False
    assert set(verdict.checks.values()) == {False, None}


def test_a_payload_with_a_duplicate_key_has_no_one_reading__S1() -> None:
    payload = cbor2.dumps(claims(VACCINATED))
    duplicated = b"\xa5" + payload[1:] + cbor2.dumps(6) + cbor2.dumps(0)  # iat twice
    verdict = verify_cose(cose(duplicated, DSC), TRUST, DURING)
    assert codes(verdict) == ["bad-structure"]


def test_missing_cwt_times_are_a_structural_failure__S1() -> None:
    payload = claims(VACCINATED)
    del payload[4]
    assert codes(verify_cose(cose(payload, DSC), TRUST, DURING)) == ["bad-structure"]


def test_verify_foreign_dispatches_on_the_prefix__A8() -> None:
    text = hc1(cose(claims(VACCINATED), DSC))
    assert verify_foreign(f"  {text}\n", TRUST, DURING).valid  # a scanner's trailing newline
    for unknown in ("HZ1:ABC", "hc1:abc", "", "https://example.org"):
        with pytest.raises(UnknownFormat) as raised:
            verify_foreign(unknown, TRUST, DURING)
        assert "HC1:" in raised.value.en
        assert "HC1:" in raised.value.zh


def test_an_aware_instant_is_required() -> None:
    with pytest.raises(ValueError, match="aware"):
        verify_dcc(hc1(cose(claims(VACCINATED), DSC)), TRUST, DURING.replace(tzinfo=None))


def test_the_shown_verdict_masks_the_holders_name__D2() -> None:
    shown = shown_json(verify_dcc(hc1(cose(claims(VACCINATED), DSC)), TRUST, DURING))
    facts = shown["facts"]
    assert isinstance(facts, list)
    assert facts[0]["holder_name"] == "M*********-G*******, G*******"
    assert HOLDER["fn"] not in str(shown)


# No deadline: a loaded machine (the suite runs on every core) must not turn slowness into failure.
@settings(deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=300))
def test_any_base45_text_gets_a_verdict_never_a_crash__S1(body: str) -> None:
    verdict = verify_foreign("HC1:" + body, TRUST, DURING)
    assert not verdict.valid
    assert {reason.code for reason in verdict.reasons} <= CODES


@settings(deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_under_the_layers_get_a_verdict__S1(data: bytes) -> None:
    verdict = verify_dcc(hc1(data), TRUST, DURING)
    assert not verdict.valid
    assert {reason.code for reason in verdict.reasons} <= CODES

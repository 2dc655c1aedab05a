"""SMART Health Cards and NZ COVID Pass through the one dispatch, on cards signed here with real
keys: chunked texts, tampering, trust without an issuer, keys whose id is not their own (A8, S1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from card_builders import NAAT, NEGATIVE, Issuer, immunization, lab_result
from healthcode.foreign.shc import verify_shc
from healthcode.foreign.trust import TrustMaterial, load_trust
from healthcode.foreign.verify import verify_foreign

NOW = datetime(2021, 7, 1, tzinfo=UTC)
NZCP = Path(__file__).parents[1] / "conformance" / "nzcp" / "valid"


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer()


def card(issuer: Issuer, **times: datetime) -> str:
    return issuer.card(
        immunization("208", "2021-04-01"),
        lab_result(NAAT, NEGATIVE, "2021-06-30T08:00:00+02:00"),
        nbf=times.get("nbf", NOW - timedelta(days=1)),
        exp=times.get("exp"),
    )


def chunks(text: str, count: int) -> list[str]:
    digits = text.removeprefix("shc:/")
    size = -(-len(digits) // count // 2) * 2  # whole characters (two digits each) a chunk
    parts = [digits[at : at + size] for at in range(0, len(digits), size)]
    return [f"shc:/{n}/{len(parts)}/{part}" for n, part in enumerate(parts, start=1)]


def test_a_card_verifies_with_its_facts_through_the_dispatch__A8(issuer: Issuer) -> None:
    verdict = verify_foreign(card(issuer), issuer.trust, NOW)
    assert (verdict.format, verdict.valid) == ("shc", True)
    assert verdict.checks["expiry"] is None  # no exp: it does not expire
    vaccination, test = verdict.facts
    assert (vaccination.kind, vaccination.country, vaccination.holder_name) == (
        "vaccination", "US", "Traveller, Alex",
    )  # fmt: skip
    assert test.details == {"type": f"http://loinc.org|{NAAT}", "result": "negative"}
    assert test.occurred_at == datetime(2021, 6, 30, 6, tzinfo=UTC)


@pytest.mark.parametrize("joiner", ["\n", "", "\r\n"])
def test_chunks_in_any_order_joined_or_listed_read_as_the_card__A8(
    issuer: Issuer, joiner: str
) -> None:
    parts = chunks(card(issuer), 3)
    shuffled = [parts[2], parts[0], parts[1]]
    for verdict in (
        verify_foreign(joiner.join(shuffled), issuer.trust, NOW),
        verify_shc(shuffled, issuer.trust, NOW),
    ):
        assert verdict.valid, verdict.reasons
        assert "qr-chunked" in {reason.code for reason in verdict.reasons}
    missing = verify_foreign("\n".join(parts[:2]), issuer.trust, NOW)
    assert [r.code for r in missing.reasons] == ["qr-chunks"]


def test_a_tampered_card_is_refused_for_its_signature__S1(issuer: Issuer) -> None:
    text = card(issuer)
    # Two digits are one character of the JWS: change one in the payload's middle.
    middle = len(text) // 2 & ~1
    tampered = (
        text[:middle] + ("10" if text[middle : middle + 2] != "10" else "11") + text[middle + 2 :]
    )
    verdict = verify_foreign(tampered, issuer.trust, NOW)
    assert not verdict.valid
    assert verdict.facts == ()
    # The changed character breaks the DEFLATE stream or the signature, whichever it falls in.
    assert {r.code for r in verdict.reasons} & {"signature-invalid", "not-deflated", "not-jws"}


def test_expired_and_not_yet_valid_cards_are_refused__A8(issuer: Issuer) -> None:
    expired = verify_foreign(card(issuer, exp=NOW - timedelta(hours=1)), issuer.trust, NOW)
    early = verify_foreign(card(issuer, nbf=NOW + timedelta(hours=1)), issuer.trust, NOW)
    assert [r.code for r in expired.reasons] == ["expired"]
    assert [r.code for r in early.reasons] == ["not-yet-valid"]
    assert expired.facts == early.facts == ()


def test_a_jwks_that_names_no_issuer_or_another_one_verifies_nothing__S1(issuer: Issuer) -> None:
    unnamed = TrustMaterial(jwks=({"keys": [issuer.jwk]},))
    other = TrustMaterial(jwks=({"iss": "https://other.example.org", "keys": [issuer.jwk]},))
    for trust in (unnamed, other):
        verdict = verify_foreign(card(issuer), trust, NOW)
        assert [r.code for r in verdict.reasons] == ["unknown-issuer"]


def test_a_trusted_key_listed_under_another_key_s_id_is_not_used__S1(issuer: Issuer) -> None:
    impostor = Issuer().jwk | {"kid": issuer.jwk["kid"]}
    trust = TrustMaterial(jwks=({"iss": issuer.iss, "keys": [impostor]},))
    verdict = verify_foreign(card(issuer), trust, NOW)
    assert (verdict.checks["key_usage"], verdict.checks["signature"]) == (False, False)
    assert {"key-id", "signature-invalid"} <= {r.code for r in verdict.reasons}


def test_a_trusted_key_for_another_use_is_not_used__S1(issuer: Issuer) -> None:
    trust = TrustMaterial(jwks=({"iss": issuer.iss, "keys": [issuer.jwk | {"use": "enc"}]},))
    verdict = verify_foreign(card(issuer), trust, NOW)
    assert not verdict.valid
    assert verdict.checks["key_usage"] is False
    assert "key-use" in {r.code for r in verdict.reasons}


def test_an_nz_pass_goes_to_its_verifier_through_the_dispatch__A8() -> None:
    trust = load_trust([NZCP / "did.json"])
    text = (NZCP / "nzcp.txt").read_text(encoding="utf-8")
    verdict = verify_foreign(text, trust, datetime(2021, 11, 15, tzinfo=UTC))
    assert (verdict.format, verdict.valid) == ("nzcp", True)

"""Verifying codes offline (M3, M5, S1, S2, S4): decisions, rejections, no crash on any input."""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from codes_builders import ISSUED, code, read_list, signed_list, signing_key, trusted
from healthcode.domain.areas import RiskLevel
from healthcode.domain.rules import Colour
from healthcode.domain.venues import Purpose, Venue
from healthcode.services.codes.trust import ListTrust
from healthcode.services.codes.verification import Verification, verify_code
from healthcode.tokens import PREFIX, CodeVersion, Rejection
from healthcode.tokens.base45 import ALPHABET, b45encode
from healthcode.tokens.keys import KeyStatus

JIANGSU_ROOT, JIANGSU = signing_key("CN-32"), signing_key("CN-32")
RETIRED, REVOKED = signing_key("CN-32"), signing_key("CN-32")
ZHEJIANG_ROOT, ZHEJIANG = signing_key("CN-33"), signing_key("CN-33")
STRANGER = signing_key("CN-32")  # not on any list
LISTS = [
    signed_list(
        JIANGSU_ROOT,
        [
            trusted(JIANGSU),
            trusted(RETIRED, status=KeyStatus.RETIRED, not_after=ISSUED + timedelta(days=7)),
            trusted(REVOKED, status=KeyStatus.REVOKED),
        ],
    ),
    signed_list(ZHEJIANG_ROOT, [trusted(ZHEJIANG)]),
]
TRUST = ListTrust(
    [read_list(LISTS[0], JIANGSU_ROOT), read_list(LISTS[1], ZHEJIANG_ROOT)], home_issuer="CN-33"
)
GREEN = code(JIANGSU)
STATUSES = {"allow", "deny", "not_checked"}


def verify(
    text: str,
    venue: Venue = Venue.MALL,
    risk: RiskLevel = RiskLevel.MEDIUM,
    now: datetime = ISSUED,
    purpose: Purpose | None = None,
) -> Verification:
    return verify_code(text, trust=TRUST, venue=venue, area_risk=risk, now=now, purpose=purpose)


def test_another_provinces_green_code_is_accepted_like_a_domestic_one__S1() -> None:
    for venue in (Venue.TRAFFIC_CHECKPOINT, Venue.RESIDENTIAL_COMMUNITY, Venue.STATION, Venue.PARK):
        shown = verify(GREEN, venue).as_json()
        assert (shown["decision"], shown["clauses"]) == ("allow", ["M5", "S1"])
        assert (shown["issuer"], shown["color"], shown["masked_name"]) == (
            "CN-32",
            "green",
            "王*明",
        )
    domestic = verify(code(ZHEJIANG)).as_json()
    assert (domestic["decision"], domestic["clauses"]) == ("allow", ["M5"])
    inbound = verify(code(ZHEJIANG, version=CodeVersion.INTERNATIONAL)).as_json()
    assert (inbound["decision"], inbound["clauses"], inbound["version"]) == (
        "allow",
        ["M5", "S1"],
        "international",
    )


def test_the_venue_policy_applies_to_every_issuers_colours__M3_M5() -> None:
    assert verify(code(JIANGSU, Colour.YELLOW)).as_json()["clauses"] == ["M3"]
    assert verify(code(JIANGSU, Colour.YELLOW)).decision.verdict == "deny"
    own_treatment = verify(
        code(JIANGSU, Colour.YELLOW), Venue.MEDICAL_INSTITUTION, purpose=Purpose.OWN_TREATMENT
    )
    assert own_treatment.decision.verdict == "allow"
    assert verify(code(JIANGSU, Colour.RED), Venue.PARK).as_json()["clauses"] == ["M1"]
    monitored = code(JIANGSU, flags=("health_monitoring",))
    assert verify(monitored, Venue.SCHOOL).as_json()["clauses"] == ["M5"]
    assert verify(monitored, Venue.SCHOOL).decision.verdict == "deny"
    assert verify(monitored, Venue.MALL).decision.verdict == "allow"


def test_low_risk_areas_check_only_listed_places_whatever_the_code__S2() -> None:
    for text in (GREEN, "not a code", code(REVOKED)):
        assert verify(text, Venue.MALL, RiskLevel.LOW).as_json()["clauses"] == ["S2"]
    # A red code is not checked there either, but still reads red with what staff do (M1).
    red = verify(code(JIANGSU, Colour.RED), Venue.MALL, RiskLevel.LOW)
    assert (red.decision.verdict, red.as_json()["clauses"]) == ("not_checked", ["S2", "M1"])
    assert verify(code(REVOKED), Venue.ELDERLY_HOME, RiskLevel.LOW).decision.verdict == "deny"


@pytest.mark.parametrize(
    ("text", "now", "rejection"),
    [
        ("https://example.org/", ISSUED, Rejection.BAD_PREFIX),
        (PREFIX + "!!!", ISSUED, Rejection.BAD_ENCODING),
        (PREFIX + b45encode(b"not zlib"), ISSUED, Rejection.BAD_COMPRESSION),
        (PREFIX + b45encode(zlib.compress(cbor2.dumps([1, 2]))), ISSUED, Rejection.BAD_STRUCTURE),
        (code(signing_key("CN-44")), ISSUED, Rejection.ISSUER_NOT_TRUSTED),
        (code(JIANGSU, issuer="CN-33"), ISSUED, Rejection.UNKNOWN_KEY),  # a key of another issuer
        (code(JIANGSU, issuer="CN-\x00"), ISSUED, Rejection.ISSUER_NOT_TRUSTED),
        (code(STRANGER), ISSUED, Rejection.UNKNOWN_KEY),
        (code(JIANGSU_ROOT), ISSUED, Rejection.UNKNOWN_KEY),  # the root signs lists, not codes
        (code(REVOKED), ISSUED, Rejection.REVOKED),
        (GREEN, ISSUED + timedelta(minutes=6), Rejection.EXPIRED),
        (GREEN, ISSUED - timedelta(minutes=1), Rejection.NOT_YET_VALID),
        (code(RETIRED), ISSUED + timedelta(minutes=1), None),
        (code(RETIRED), ISSUED + timedelta(days=8), Rejection.EXPIRED),
    ],
)
def test_a_refused_code_is_denied_and_points_to_the_alternatives__S4(
    text: str, now: datetime, rejection: Rejection | None
) -> None:
    verified = verify(text, Venue.TRAFFIC_CHECKPOINT, now=now)
    assert verified.rejection is rejection
    if rejection is None:  # a retired key verifies until its codes have expired
        assert verified.decision.verdict == "allow"
        return
    shown = verified.as_json()
    assert (shown["decision"], shown["clauses"]) == ("deny", ["S4"])
    # Names the other proofs in words; residents and staff read no clause ids.
    assert "negative nucleic-acid test" in shown["reason"]["en"]
    assert "S4" not in shown["reason"]["en"]
    assert "纸质健康码" in shown["reason"]["zh"]
    assert "registration with a valid identity document" in shown["reason"]["en"]
    signed = verified.rejection in {Rejection.EXPIRED, Rejection.NOT_YET_VALID}
    assert (shown["color"] is not None) is signed  # unverified claims are never shown


def test_the_list_age_is_that_of_the_issuers_list__S1() -> None:
    later = ISSUED + timedelta(minutes=2)
    assert verify(GREEN, now=later).trust_list_age_seconds == 120
    assert verify("garbage", now=later).trust_list_age_seconds == 120


@given(text=st.text())
def test_any_text_never_crashes_the_verifier__S4(text: str) -> None:
    assert verify(text).as_json()["decision"] in STATUSES


@given(body=st.text(alphabet=ALPHABET, max_size=600))
def test_any_base45_body_never_crashes_the_verifier__S4(body: str) -> None:
    assert verify(PREFIX + body).decision.verdict == "deny"


@given(data=st.binary(max_size=600))
def test_any_compressed_bytes_never_crash_the_verifier__S4(data: bytes) -> None:
    assert verify(PREFIX + b45encode(zlib.compress(data))).decision.verdict == "deny"


@given(
    position=st.integers(len(PREFIX), len(GREEN) - 1),
    replacement=st.sampled_from(ALPHABET),
    venue=st.sampled_from(Venue),
    risk=st.sampled_from(RiskLevel),
)
def test_a_changed_character_never_crashes_nor_passes__S4(
    position: int, replacement: str, venue: Venue, risk: RiskLevel
) -> None:
    tampered = GREEN[:position] + replacement + GREEN[position + 1 :]
    verified = verify(tampered, venue, risk)
    assert verified.as_json()["decision"] in STATUSES
    assert tampered == GREEN or verified.rejection is not None


@given(
    issuer=st.text(max_size=40),
    flags=st.lists(st.text(min_size=1, max_size=20), max_size=4),
    colour=st.sampled_from(Colour),
    venue=st.sampled_from(Venue),
)
def test_any_signed_claims_never_crash_the_verifier__S1(
    issuer: str, flags: list[str], colour: Colour, venue: Venue
) -> None:
    text = code(JIANGSU, colour, issuer=issuer or "CN-32", flags=tuple(flags))
    verified = verify(text, venue)
    assert verified.as_json()["decision"] in STATUSES
    assert (verified.rejection is None) is (issuer in {"", "CN-32"})

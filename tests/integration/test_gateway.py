"""Gateway mode and online trust of other issuers, on both databases (S1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from builders import ManualClock, operator
from codes_builders import ISSUED, code, signed_list, signing_key, trusted
from healthcode.db.schema import trusted_issuers
from healthcode.domain.areas import RiskLevel
from healthcode.domain.venues import Venue
from healthcode.services.cache_counts import Lookup
from healthcode.services.codes.gateway import (
    GatewayError,
    gateway_list,
    register_issuer,
    submit_trust_list,
)
from healthcode.services.codes.signing import active_signing_key
from healthcode.services.codes.trust import DatabaseTrust
from healthcode.services.codes.verification import Verification, verify_code
from healthcode.services.runtime import Runtime
from healthcode.tokens import Rejection
from healthcode.tokens.gateway_lists import verify_gateway_list
from healthcode.tokens.jwk import public_jwk
from healthcode.tokens.keys import KeyPurpose, KeyStatus

JIANGSU_ROOT, JIANGSU_KEY = signing_key("CN-32"), signing_key("CN-32")
JIANGSU_ROOT_JWK = public_jwk(JIANGSU_ROOT.public_key)


def registered(runtime: Runtime) -> None:
    with runtime.unit_of_work(operator("security_admin", "trust_registration")) as uow:
        register_issuer(uow, "CN-32", JIANGSU_ROOT_JWK)


def submit(runtime: Runtime, document: object) -> None:
    with runtime.unit_of_work(operator("system", "trust_list_exchange")) as uow:
        submit_trust_list(uow, document)


def online(runtime: Runtime, text: str) -> Verification:
    with runtime.unit_of_work(operator("checkpoint", "code_verification")) as uow:
        return verify_code(
            text,
            trust=DatabaseTrust(uow),
            venue=Venue.STATION,
            area_risk=RiskLevel.HIGH,
            now=uow.now,
        )


def test_an_online_checkpoint_trusts_the_lists_its_gateway_holds__S1(
    runtime: Runtime, clock: ManualClock
) -> None:
    text = code(JIANGSU_KEY)
    assert online(runtime, text).rejection is Rejection.ISSUER_NOT_TRUSTED
    registered(runtime)
    assert online(runtime, text).rejection is Rejection.ISSUER_NOT_TRUSTED  # no list yet
    submit(runtime, signed_list(JIANGSU_ROOT, [trusted(JIANGSU_KEY)]))
    clock.instant = ISSUED + timedelta(minutes=1)
    shown = online(runtime, text).as_json()
    assert (shown["decision"], shown["clauses"], shown["issuer"]) == (
        "allow",
        ["M5", "S1"],
        "CN-32",
    )
    assert shown["trust_list_age_seconds"] == 60
    assert shown["current_color"] is None  # another province's holder: not in this database
    revoked = signed_list(
        JIANGSU_ROOT,
        [trusted(JIANGSU_KEY, status=KeyStatus.REVOKED)],
        issued_at=ISSUED + timedelta(seconds=30),
    )
    submit(runtime, revoked)
    assert online(runtime, text).rejection is Rejection.REVOKED


def test_only_lists_under_the_registered_root_and_not_older_are_kept__S1(
    runtime: Runtime,
) -> None:
    with pytest.raises(GatewayError, match="not registered"):
        submit(runtime, signed_list(JIANGSU_ROOT, [trusted(JIANGSU_KEY)]))
    registered(runtime)
    impostor = signing_key("CN-32")
    with pytest.raises(GatewayError, match="not by the given root"):
        submit(runtime, signed_list(impostor, [trusted(signing_key("CN-32"))]))
    submit(runtime, signed_list(JIANGSU_ROOT, [trusted(JIANGSU_KEY)]))
    older = signed_list(JIANGSU_ROOT, [], issued_at=ISSUED - timedelta(hours=1))
    with pytest.raises(GatewayError, match="before the one held"):
        submit(runtime, older)
    with pytest.raises(GatewayError, match="JSON object"):
        submit(runtime, [])


@pytest.mark.parametrize(
    ("issuer", "root", "reason"),
    [
        ("CN-33", JIANGSU_ROOT_JWK, "own issuer"),
        ("jiangsu", JIANGSU_ROOT_JWK, "not an ISO 3166 code"),
        ("CN-32", {**JIANGSU_ROOT_JWK, "d": "AAAA"}, "private key material"),
        ("CN-32", {"kty": "RSA"}, "P-256"),
    ],
)
def test_registration_needs_a_valid_issuer_and_public_root__S1(
    runtime: Runtime, issuer: str, root: object, reason: str
) -> None:
    with (
        runtime.unit_of_work(operator("security_admin", "trust_registration")) as uow,
        pytest.raises(GatewayError, match=reason),
    ):
        register_issuer(uow, issuer, root)


def test_the_combined_list_holds_every_issuer_under_the_gateway_root__S1(runtime: Runtime) -> None:
    registered(runtime)
    submit(runtime, signed_list(JIANGSU_ROOT, [trusted(JIANGSU_KEY)]))
    with runtime.unit_of_work(operator("system", "trust_list_publication")) as uow:
        active_signing_key(uow)  # this installation signs codes too: its own list is included
        combined = gateway_list(uow)
        root = public_jwk(active_signing_key(uow, KeyPurpose.TRUST_LIST).public_key)
    verified = verify_gateway_list(combined, root)
    assert verified.gateway == "CN-33"
    assert sorted(listed.issuer for listed in verified.lists) == ["CN-32", "CN-33"]


def test_a_held_list_edited_in_the_database_is_not_believed__S1(runtime: Runtime) -> None:
    registered(runtime)
    submit(runtime, signed_list(JIANGSU_ROOT, [trusted(JIANGSU_KEY)]))
    with runtime.engine.begin() as connection:
        held = connection.execute(trusted_issuers.select()).one().trust_list
        held["payload"] = held["payload"][:-2] + "AA"
        connection.execute(update(trusted_issuers).values(trust_list=held))
    assert online(runtime, code(JIANGSU_KEY)).rejection is Rejection.ISSUER_NOT_TRUSTED


@pytest.mark.parametrize("issuer", ["CN-\x00", "X" * 200, "CN-33\n"])
def test_odd_issuer_names_are_refused_without_reaching_the_database__S1(
    runtime: Runtime, issuer: str
) -> None:
    assert online(runtime, code(JIANGSU_KEY, issuer=issuer)).rejection is (
        Rejection.ISSUER_NOT_TRUSTED
    )
    with runtime.unit_of_work(operator("checkpoint", "code_verification")) as uow:
        trust = DatabaseTrust(uow)
        assert trust.find_key(issuer, "AAAAAAAAAAA") is Rejection.ISSUER_NOT_TRUSTED
        assert trust.find_key("CN-33", "kid\x00") is Rejection.UNKNOWN_KEY
        assert trust.current_state("CN-33", "sub\x00") is None


def test_a_held_list_is_verified_once_in_a_while_and_a_new_one_counts_at_once__S1(
    runtime: Runtime, clock: ManualClock
) -> None:
    """ADR 0023: the verified list is reused by the process; one received replaces it at once."""
    registered(runtime)
    submit(runtime, signed_list(JIANGSU_ROOT, [trusted(JIANGSU_KEY)]))
    clock.instant = ISSUED + timedelta(minutes=1)
    text = code(JIANGSU_KEY)
    before = runtime.memo.counts.snapshot()
    assert online(runtime, text).rejection is None
    assert online(runtime, text).rejection is None
    after = runtime.memo.counts.snapshot()
    gained = {key: after[key] - before.get(key, 0) for key in after}
    held = ("memo_held_list", Lookup.MISS), ("memo_held_list", Lookup.HIT)
    assert (gained[held[0]], gained[held[1]]) == (1, 1)
    revoked = signed_list(
        JIANGSU_ROOT,
        [trusted(JIANGSU_KEY, status=KeyStatus.REVOKED)],
        issued_at=ISSUED + timedelta(seconds=30),
    )
    submit(runtime, revoked)
    assert online(runtime, text).rejection is Rejection.REVOKED


def test_codes_of_unregistered_issuers_leave_nothing_in_the_memo__S1(runtime: Runtime) -> None:
    for issuer in ("CN-41", "CN-42", "CN-43"):
        assert online(runtime, code(signing_key(issuer))).rejection is (
            Rejection.ISSUER_NOT_TRUSTED
        )
    assert not [key for key in runtime.memo._entries if key[0] == "held_list"]  # type: ignore[index]

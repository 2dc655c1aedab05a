"""Codes issued from stored colours, verified online and from trust lists (A8, M3, M5, S1, S4, D2).

Every test runs on SQLite and on PostgreSQL (the `runtime` fixture).
"""

from __future__ import annotations

import zlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from builders import ManualClock, audit_report, march, operator, resident_id
from healthcode.db.schema import audit_log, code_subjects, signing_keys
from healthcode.domain.areas import RiskLevel
from healthcode.domain.facts import (
    Fact,
    Person,
    PersonKey,
    Source,
    Symptom,
    Symptoms,
    SymptomsAction,
    Vaccination,
)
from healthcode.domain.identity import IdType
from healthcode.domain.venues import Venue
from healthcode.services.checkpoint.scans import purge_scans
from healthcode.services.codes.issuing import CodeIssueError, IssuedCode, issue_code
from healthcode.services.codes.signing import (
    SigningKeyError,
    active_signing_key,
    own_keys,
    revoke_signing_key,
    rotate_signing_key,
)
from healthcode.services.codes.trust import DatabaseTrust, ListTrust
from healthcode.services.codes.trust_lists import publish_trust_list
from healthcode.services.codes.verification import Verification, verify_code
from healthcode.services.facts import record_facts
from healthcode.services.runtime import Runtime
from healthcode.tokens import PREFIX, read_token
from healthcode.tokens.base45 import b45decode
from healthcode.tokens.base64url import b64url_encode
from healthcode.tokens.jwk import public_jwk
from healthcode.tokens.keys import KeyPurpose, KeyStatus
from healthcode.tokens.trust_lists import verify_trust_list

NAME = "张小三"
PHONE = "13912345678"
GREEN = Person(IdType.RESIDENT_ID, resident_id(seq="201"), NAME, PHONE, "CHN")
YELLOW = Person(IdType.RESIDENT_ID, resident_id(seq="202"), "李四", "13800001111", "CHN")
TRAVELLER = Person(IdType.PASSPORT, "E12345678", "John Smith", "+447911123456", "GBR")


def record(runtime: Runtime, *facts: Fact) -> None:
    with runtime.unit_of_work(operator()) as uow:
        record_facts(uow, facts)


def vaccinated(who: Person) -> Fact:
    return Fact(f"v-{who.id_number}", Source.HEALTH, who, march(3), Vaccination(1, "灭活疫苗"))


def fever(who: Person) -> Fact:
    payload = Symptoms(SymptomsAction.REPORT, (Symptom.FEVER,))
    return Fact(f"s-{who.id_number}", Source.RESIDENT, who, march(19), payload)


def on_record(runtime: Runtime) -> None:
    record(runtime, vaccinated(GREEN), fever(YELLOW), vaccinated(TRAVELLER))


def issue(runtime: Runtime, who: Person, *, paper: bool = False) -> IssuedCode:
    with runtime.unit_of_work(operator("operator", "code_issue")) as uow:
        return issue_code(uow, who.key, paper=paper)


def online(
    runtime: Runtime, text: str, venue: Venue = Venue.MALL, risk: RiskLevel = RiskLevel.MEDIUM
) -> Verification:
    with runtime.unit_of_work(operator("checkpoint", "code_verification")) as uow:
        return verify_code(text, trust=DatabaseTrust(uow), venue=venue, area_risk=risk, now=uow.now)


def offline(runtime: Runtime, text: str, venue: Venue = Venue.MALL) -> Verification:
    """As a checkpoint holding only the published list and the root key."""
    with runtime.unit_of_work(operator("system", "trust_list")) as uow:
        document = publish_trust_list(uow)
        root = active_signing_key(uow, KeyPurpose.TRUST_LIST)
    trust = ListTrust([verify_trust_list(document, public_jwk(root.public_key))], "CN-33")
    return verify_code(
        text, trust=trust, venue=venue, area_risk=RiskLevel.MEDIUM, now=runtime.clock.now()
    )


def test_green_code_is_allowed_at_a_mall_online_and_offline__M5(runtime: Runtime) -> None:
    on_record(runtime)
    code = issue(runtime, GREEN)
    assert code.text.startswith(PREFIX)
    assert (code.colour, code.masked_name) == ("green", "张*三")
    assert code.expires_at == march(20) + timedelta(minutes=5)
    for verified in (online(runtime, code.text), offline(runtime, code.text)):
        shown = verified.as_json()
        assert shown["decision"] == "allow"
        assert shown["clauses"] == ["M5"]
        assert (shown["issuer"], shown["color"], shown["masked_name"]) == (
            "CN-33",
            "green",
            "张*三",
        )
        assert shown["rejection"] is None
        assert shown["version"] == "domestic"
        assert shown["expires_at"] == "2021-03-20T12:05:00+08:00"
    assert online(runtime, code.text).trust_list_age_seconds is None  # live, not a list


def test_yellow_code_is_denied_at_a_mall_and_allowed_in_a_park__M3(runtime: Runtime) -> None:
    on_record(runtime)
    code = issue(runtime, YELLOW)
    assert code.colour == "yellow"
    mall = online(runtime, code.text).as_json()
    assert (mall["decision"], mall["clauses"], mall["color"]) == ("deny", ["M3"], "yellow")
    park = online(runtime, code.text, Venue.PARK).as_json()
    assert (park["decision"], park["clauses"]) == ("allow", ["M3"])


def test_low_risk_area_does_not_check_even_a_bad_code__S2(runtime: Runtime) -> None:
    verified = online(runtime, "HZ1:NOT A CODE", Venue.MALL, RiskLevel.LOW).as_json()
    assert (verified["decision"], verified["clauses"]) == ("not_checked", ["S2"])
    assert verified["rejection"] == "bad_encoding"


def test_code_expires_after_its_validity_and_the_paper_code_later__S4(
    runtime: Runtime, clock: ManualClock
) -> None:
    on_record(runtime)
    phone, paper = issue(runtime, GREEN), issue(runtime, GREEN, paper=True)
    assert paper.expires_at == march(20) + timedelta(days=7)
    clock.instant = march(20) + timedelta(minutes=6)
    expired = online(runtime, phone.text).as_json()
    assert (expired["decision"], expired["rejection"], expired["clauses"]) == (
        "deny",
        "expired",
        ["S4"],
    )
    assert "paper code" in expired["reason"]["en"]
    assert "纸质健康码" in expired["reason"]["zh"]
    assert expired["color"] == "green"  # the signature verified: what it says may be shown
    assert online(runtime, paper.text).as_json()["decision"] == "allow"
    assert online(runtime, paper.text).medium == "paper"


def test_rotation_keeps_old_codes_valid_and_signs_new_ones_with_the_new_key(
    runtime: Runtime,
) -> None:
    on_record(runtime)
    before = issue(runtime, GREEN)
    with runtime.unit_of_work(operator("security_admin", "key_rotation")) as uow:
        new_key = rotate_signing_key(uow)
    after = issue(runtime, GREEN)
    assert before.kid != new_key.kid == after.kid
    assert b64url_encode(read_token(after.text).kid) == new_key.kid
    for code in (before, after):
        assert online(runtime, code.text).rejection is None
        assert offline(runtime, code.text).rejection is None
    with runtime.unit_of_work(operator("security_admin", "key_list")) as uow:
        keys = {key.kid: key for key in own_keys(uow)}
    retired = keys[before.kid]
    assert retired.status is KeyStatus.RETIRED
    assert retired.not_after == march(20) + timedelta(days=7)  # the longest validity: paper


def test_revoked_key_fails_at_once_and_points_to_alternatives__S4(runtime: Runtime) -> None:
    on_record(runtime)
    code = issue(runtime, GREEN)
    with runtime.unit_of_work(operator("security_admin", "key_revocation")) as uow:
        revoke_signing_key(uow, code.kid, "private key exposed in a backup")
    for verified in (online(runtime, code.text), offline(runtime, code.text)):
        shown = verified.as_json()
        assert (shown["decision"], shown["rejection"], shown["clauses"]) == (
            "deny",
            "revoked",
            ["S4"],
        )
        assert shown["color"] is None
        assert shown["masked_name"] is None
        assert "nucleic-acid" in shown["reason"]["en"]
    fresh = issue(runtime, GREEN)  # a new key is made on demand
    assert fresh.kid != code.kid
    assert online(runtime, fresh.text).rejection is None


def test_revocation_is_refused_for_unknown_or_revoked_keys(runtime: Runtime) -> None:
    on_record(runtime)
    code = issue(runtime, GREEN)
    with runtime.unit_of_work(operator("security_admin", "key_revocation")) as uow:
        with pytest.raises(SigningKeyError, match="no signing key"):
            revoke_signing_key(uow, "AAAAAAAAAAA", "test")
        with pytest.raises(SigningKeyError, match="reason"):
            revoke_signing_key(uow, code.kid, "  ")
        revoke_signing_key(uow, code.kid, "test")
        with pytest.raises(SigningKeyError, match="already revoked"):
            revoke_signing_key(uow, code.kid, "test")


def test_current_colour_is_returned_online_when_it_changed_since_issue__M3(
    runtime: Runtime, clock: ManualClock
) -> None:
    on_record(runtime)
    code = issue(runtime, GREEN)
    assert online(runtime, code.text).current_colour is None  # unchanged
    clock.instant = march(20, 12, 1)
    record(runtime, fever(GREEN))
    shown = online(runtime, code.text).as_json()
    assert (shown["color"], shown["current_color"]) == ("green", "yellow")
    assert (shown["decision"], shown["clauses"]) == ("deny", ["M3"])  # the colour of now decides
    assert offline(runtime, code.text).current_colour is None  # a list cannot know


def test_international_version_for_passports_recognised_at_stations__A8_S1(
    runtime: Runtime,
) -> None:
    on_record(runtime)
    code = issue(runtime, TRAVELLER)
    assert (code.version, code.masked_name) == ("international", "J*** S****")
    shown = online(runtime, code.text, Venue.STATION).as_json()
    assert (shown["decision"], shown["clauses"], shown["version"]) == (
        "allow",
        ["M5", "S1"],
        "international",
    )


def test_unknown_person_or_person_without_colour_gets_no_code(runtime: Runtime) -> None:
    stranger = PersonKey(IdType.RESIDENT_ID, resident_id(seq="999"))
    with (
        runtime.unit_of_work(operator("operator", "code_issue")) as uow,
        pytest.raises(CodeIssueError, match="no such person"),
    ):
        issue_code(uow, stranger)
    with runtime.unit_of_work(operator("operator", "code_issue")) as uow:
        uow.people.add(Person(IdType.RESIDENT_ID, stranger.id_number), uow.now)
        with pytest.raises(CodeIssueError, match="no evaluated colour"):
            issue_code(uow, stranger)


def test_no_personal_data_in_the_token_or_code_subjects__D2(runtime: Runtime) -> None:
    on_record(runtime)
    codes = [issue(runtime, GREEN), issue(runtime, GREEN, paper=True)]
    subjects = {read_token(code.text).claims.subject for code in codes}
    assert len(subjects) == 2  # a fresh pseudonym per code: two codes cannot be linked
    with runtime.engine.connect() as connection:
        rows = connection.execute(select(code_subjects)).all()
    assert {row.subject for row in rows} == subjects
    assert {(row.medium, row.version) for row in rows} == {
        ("phone", "domestic"),
        ("paper", "domestic"),
    }
    secrets = [GREEN.id_number, NAME, PHONE, GREEN.id_number[-4:] + GREEN.id_number[:4]]
    for code in codes:
        inflated = zlib.decompress(b45decode(code.text.removeprefix(PREFIX)))
        for secret in secrets:
            assert secret.encode() not in inflated
            assert secret not in code.text
    for row in rows:
        assert not any(secret in str(tuple(row)) for secret in secrets)


def test_private_keys_are_sealed_and_key_work_is_audited__D1(runtime: Runtime) -> None:
    on_record(runtime)
    issue(runtime, GREEN)
    with runtime.engine.connect() as connection:
        stored = connection.execute(select(signing_keys)).one()
        actions = connection.execute(select(audit_log.c.action).order_by(audit_log.c.seq)).all()
    assert audit_report(runtime).intact
    assert stored.purpose == "code"
    assert "d" not in stored.public_jwk
    assert stored.private_sealed[0] == 1  # the Vault's sealed format, not a bare key
    assert [action for (action,) in actions][-2:] == ["signing_key.create", "code.issue"]


def test_code_pseudonyms_are_forgotten_after_the_scan_retention__D2(
    runtime: Runtime, clock: ManualClock
) -> None:
    on_record(runtime)
    phone, paper = issue(runtime, GREEN), issue(runtime, GREEN, paper=True)
    retention = runtime.settings.scan_retention

    def kept() -> int:
        with runtime.engine.connect() as connection:
            return len(connection.execute(select(code_subjects.c.subject)).all())

    clock.instant = phone.expires_at + retention + timedelta(seconds=1)
    with runtime.unit_of_work(operator("system", "scan_retention")) as uow:
        purge_scans(uow)
    assert kept() == 1  # the paper code is still within its own validity plus retention
    clock.instant = paper.expires_at + retention + timedelta(seconds=1)
    with runtime.unit_of_work(operator("system", "scan_retention")) as uow:
        purge_scans(uow)
    assert kept() == 0

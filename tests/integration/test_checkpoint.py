"""No phone, never refused (S4): every alternative credential, audited (D2), on both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from builders import ManualClock, fact, isolation, march, operator, resident_id
from healthcode.db.institutions_store import InstitutionStore
from healthcode.db.schema import audit_log, persons
from healthcode.domain.areas import RiskLevel
from healthcode.domain.certificates import InstitutionKind, Statement
from healthcode.domain.checkpoints import CheckpointDecision
from healthcode.domain.facts import (
    Action,
    HealthMonitoring,
    Isolation,
    IsolationReason,
    IsolationSetting,
    Payload,
    Person,
    PersonKey,
    Source,
    Symptom,
    Symptoms,
    SymptomsAction,
    Test,
    TestKind,
    TestResult,
)
from healthcode.domain.identity import IdType, mask_name
from healthcode.domain.venues import Venue
from healthcode.services.checkpoint.alternatives import (
    CheckpointError,
    check_by_registration,
    check_by_test,
    check_certificate,
    check_itinerary_card,
)
from healthcode.services.checkpoint.institutions import issue_certificate, register_institution
from healthcode.services.checkpoint.venues import RegistrationError
from healthcode.services.codes.signing import active_signing_key, revoke_signing_key
from healthcode.services.facts import record_facts
from healthcode.services.refusals import Refused
from healthcode.services.runtime import Actor, Runtime

STAFF = Actor("staff-7", "checkpoint", "entry_check")
CLERK = Actor("clerk", "institution", "certificate")
GRANDMA_NAME = "赵桂英"
GRANDMA = Person(IdType.RESIDENT_ID, resident_id(birth="19380303", seq="101"), GRANDMA_NAME)
STRANGER = PersonKey(IdType.RESIDENT_ID, resident_id(birth="19450404", seq="202"))
MEDIUM = RiskLevel.MEDIUM


def record(runtime: Runtime, *payloads: tuple[Payload, datetime], who: Person = GRANDMA) -> None:
    facts = [fact(payload, when, who, Source.HEALTH) for payload, when in payloads]
    with runtime.unit_of_work(operator()) as uow:
        record_facts(uow, facts)


def isolated(when: datetime) -> tuple[Payload, datetime]:
    return Isolation(
        Action.START, IsolationSetting.CENTRALIZED, IsolationReason.CLOSE_CONTACT
    ), when


def negative(sampled: datetime) -> tuple[Test, datetime]:
    return Test(TestKind.NUCLEIC_ACID, TestResult.NEGATIVE, sampled), sampled + timedelta(hours=6)


def positive(sampled: datetime) -> tuple[Test, datetime]:
    return Test(TestKind.NUCLEIC_ACID, TestResult.POSITIVE, sampled), sampled + timedelta(hours=6)


def by_test(
    runtime: Runtime,
    key: PersonKey = GRANDMA.key,
    venue: Venue = Venue.MALL,
    name: str = GRANDMA_NAME,
) -> CheckpointDecision:
    with runtime.unit_of_work(STAFF) as uow:
        return check_by_test(uow, key, venue, MEDIUM, name=name)


def by_registration(
    runtime: Runtime,
    key: PersonKey = GRANDMA.key,
    venue: Venue = Venue.ELDERLY_HOME,
    area_risk: RiskLevel = MEDIUM,
    name: str = GRANDMA_NAME,
) -> CheckpointDecision:
    with runtime.unit_of_work(STAFF) as uow:
        return check_by_registration(uow, key, venue, area_risk, name=name)


def by_card(
    runtime: Runtime,
    shows_risk_area: bool,
    key: PersonKey = GRANDMA.key,
    venue: Venue = Venue.STATION,
    area_risk: RiskLevel = MEDIUM,
) -> CheckpointDecision:
    with runtime.unit_of_work(STAFF) as uow:
        return check_itinerary_card(uow, key, shows_risk_area, venue, area_risk, name=GRANDMA_NAME)


def certificate_for(runtime: Runtime, key: PersonKey = GRANDMA.key) -> str:
    with runtime.unit_of_work(CLERK) as uow:
        if InstitutionStore(uow.connection).get("xihu-lingyin") is None:
            register_institution(
                uow, "xihu-lingyin", "灵隐街道社区", InstitutionKind.COMMUNITY, "330106"
            )
        return issue_certificate(uow, "xihu-lingyin", key, Statement.LOW_RISK_RESIDENT).text


def by_certificate(runtime: Runtime, text: str, venue: Venue = Venue.STATION) -> CheckpointDecision:
    with runtime.unit_of_work(STAFF) as uow:
        return check_certificate(uow, text, venue, MEDIUM)


def checkpoint_audit(runtime: Runtime) -> list[tuple[str, str, str, str, str]]:
    with runtime.engine.connect() as connection:
        rows = connection.execute(
            select(audit_log)
            .where(audit_log.c.action.like("checkpoint.%"))
            .order_by(audit_log.c.seq)
        )
        return [(r.actor, r.role, r.purpose, r.action, r.outcome) for r in rows]


def summary(decision: CheckpointDecision) -> tuple[str, tuple[str, ...]]:
    return decision.verdict.value, decision.clauses


# --- the code is never the only credential ----------------------------------------------------


ALTERNATIVES: dict[str, Callable[[Runtime], CheckpointDecision]] = {
    "test": lambda runtime: by_test(runtime, venue=Venue.ELDERLY_HOME),
    "registration": by_registration,
    "certificate": lambda runtime: by_certificate(
        runtime, certificate_for(runtime), Venue.ELDERLY_HOME
    ),
    "itinerary_card": lambda runtime: by_card(runtime, False, venue=Venue.ELDERLY_HOME),
}


@pytest.mark.parametrize("method", list(ALTERNATIVES))
def test_every_alternative_admits_a_green_person_where_codes_are_checked__S4(
    runtime: Runtime, method: str
) -> None:
    record(runtime, negative(march(18)))
    decision = ALTERNATIVES[method](runtime)
    assert decision.method.value == method
    assert summary(decision) == ("allow", ("S4", "M5"))
    shown = decision.as_json()
    assert set(shown) == {"decision", "clauses", "reason", "method", "shown"}
    assert shown["shown"]["masked_name"] == "赵*英"  # type: ignore[index]
    assert GRANDMA.id_number not in str(shown)
    assert GRANDMA_NAME not in str(shown)


# --- (a) a negative nucleic-acid test of the last 7 days ----------------------------------------


def test_a_negative_test_of_the_last_seven_days_admits__S4(runtime: Runtime) -> None:
    record(runtime, negative(march(14)))  # sampled 6 days before March 20th
    decision = by_test(runtime)
    assert summary(decision) == ("allow", ("S4", "M5"))
    assert decision.shown["test_sampled_at"] == "2021-03-14T12:00:00+08:00"
    assert "7日内本人核酸检测阴性证明" in decision.reason.zh


def test_without_a_recent_negative_test_the_other_ways_are_named__S4(runtime: Runtime) -> None:
    record(runtime, negative(march(12)))  # 8 days: too old
    decision = by_test(runtime)
    assert summary(decision) == ("deny", ("S4",))
    assert "registration with a valid identity document" in decision.reason.en
    assert "paper certificate" in decision.reason.en
    assert "有效身份证件登记" in decision.reason.zh
    assert summary(by_test(runtime, STRANGER)) == ("deny", ("S4",))
    # Where codes are not checked, nobody is asked for a test either (S2, D1).
    with runtime.unit_of_work(STAFF) as uow:
        park = check_by_test(uow, GRANDMA.key, Venue.PARK, RiskLevel.LOW, name=GRANDMA_NAME)
    assert summary(park) == ("not_checked", ("S4", "S2"))
    with runtime.unit_of_work(STAFF) as uow:
        park = check_certificate(uow, "garbage", Venue.PARK, RiskLevel.LOW)
    assert summary(park) == ("not_checked", ("S4", "S2"))


def test_a_later_positive_supersedes_and_is_not_disclosed__S4_D2(runtime: Runtime) -> None:
    record(runtime, negative(march(16)), positive(march(18)))
    decision = by_test(runtime)
    assert decision.verdict.value == "deny"
    assert "positive" not in decision.reason.en
    assert "阳性" not in decision.reason.zh


def test_a_negative_test_does_not_lift_a_red_status__S4_M1(runtime: Runtime) -> None:
    record(runtime, negative(march(18)), isolated(march(19)))
    assert summary(by_test(runtime)) == ("deny", ("S4", "M1"))


# --- (b) registration with a valid identity document -------------------------------------------


def test_registration_applies_the_venue_policy_to_the_stored_colour__S4_M3_M5_S2(
    runtime: Runtime,
) -> None:
    fever = Symptoms(SymptomsAction.REPORT, (Symptom.FEVER,))
    record(runtime, (fever, march(19)))
    assert summary(by_registration(runtime, venue=Venue.MALL)) == ("deny", ("S4", "M3"))
    assert summary(by_registration(runtime, venue=Venue.PARK)) == ("allow", ("S4", "M3"))
    low = by_registration(runtime, venue=Venue.PARK, area_risk=RiskLevel.LOW)
    assert summary(low) == ("not_checked", ("S4", "S2"))
    monitored = Person(IdType.RESIDENT_ID, resident_id(seq="303"))
    record(runtime, (HealthMonitoring(Action.START), march(19)), who=monitored)
    school = by_registration(runtime, monitored.key, Venue.SCHOOL)
    assert summary(school) == ("deny", ("S4", "M5"))


def test_an_unknown_person_registers_and_passes_as_green__S4_A4(runtime: Runtime) -> None:
    decision = by_registration(runtime, STRANGER)
    assert summary(decision) == ("allow", ("S4", "A4", "M5"))
    assert decision.shown == {"masked_name": mask_name(GRANDMA_NAME), "record": "none"}
    assert "no record on file" in decision.reason.en
    with runtime.engine.connect() as connection:  # a look-up creates nobody
        assert connection.scalar(select(func.count()).select_from(persons)) == 0
    # …and it is still only as good as green: not where codes are not checked, not for red.
    assert by_registration(runtime, STRANGER, Venue.PARK, RiskLevel.LOW).verdict.value == (
        "not_checked"
    )


def test_a_bad_document_number_is_refused_without_echoing_it__S4_D2(runtime: Runtime) -> None:
    wrong = PersonKey(IdType.RESIDENT_ID, "33010619800101123")
    with pytest.raises(CheckpointError) as refused:
        by_registration(runtime, wrong)
    assert wrong.id_number not in str(refused.value)


# --- (c) a community's or medical institution's paper certificate -----------------------------


def test_a_signed_certificate_admits_and_shows_who_issued_it__S4(runtime: Runtime) -> None:
    record(runtime, negative(march(18)))
    text = certificate_for(runtime)
    assert text.startswith("HZC1:")
    assert GRANDMA_NAME not in text
    decision = by_certificate(runtime, text)
    assert summary(decision) == ("allow", ("S4", "M5"))
    assert decision.shown["institution"] == "灵隐街道社区"
    assert decision.shown["masked_name"] == "赵*英"
    assert decision.shown["statement"] == "本社区居民，经核实近14天无中高风险地区旅居史"


def test_a_tampered_expired_or_foreign_certificate_is_refused__S4(
    runtime: Runtime, clock: ManualClock
) -> None:
    text = certificate_for(runtime)
    middle = len(text) // 2
    flipped = text[:middle] + ("A" if text[middle] != "A" else "B") + text[middle + 1 :]
    assert by_certificate(runtime, flipped).verdict.value == "deny"
    refused = by_certificate(runtime, "HZ1:NOT-A-CERTIFICATE")
    assert "not a paper certificate" in refused.reason.en
    clock.instant = march(20) + timedelta(days=8)
    expired = by_certificate(runtime, text)
    assert (expired.verdict.value, "it has expired" in expired.reason.en) == ("deny", True)


def test_a_revoked_key_fails_its_certificates_at_once__S4(runtime: Runtime) -> None:
    text = certificate_for(runtime)
    with runtime.unit_of_work(operator("security_admin", "key_revocation")) as uow:
        revoke_signing_key(uow, active_signing_key(uow).kid, "key compromised")
    assert "revoked" in by_certificate(runtime, text).reason.en


def test_a_certificate_does_not_outlive_a_change_to_red__S4_M1(runtime: Runtime) -> None:
    text = certificate_for(runtime)
    assert by_certificate(runtime, text).verdict.value == "allow"
    record(runtime, isolated(march(20, 9)))
    assert summary(by_certificate(runtime, text)) == ("deny", ("S4", "M1"))


def test_only_registered_institutions_certify_what_their_kind_may__S4(runtime: Runtime) -> None:
    certificate_for(runtime)
    with runtime.unit_of_work(STAFF) as uow, pytest.raises(RegistrationError, match="no instit"):
        issue_certificate(uow, "nowhere", GRANDMA.key, Statement.LOW_RISK_RESIDENT)
    with runtime.unit_of_work(STAFF) as uow, pytest.raises(RegistrationError, match="cannot"):
        issue_certificate(uow, "xihu-lingyin", GRANDMA.key, Statement.NO_ABNORMALITY)


# --- (d) the telecom itinerary card, auxiliary to registration --------------------------------


def test_the_itinerary_card_supports_registration_but_never_admits_alone__S4(
    runtime: Runtime,
) -> None:
    record(runtime, negative(march(18)))
    assert summary(by_card(runtime, False)) == ("allow", ("S4", "M5"))
    assert summary(by_card(runtime, True)) == ("deny", ("S4", "S1"))
    # Where codes are not checked, reading a card adds no condition on top (D1).
    low = by_card(runtime, True, venue=Venue.PARK, area_risk=RiskLevel.LOW)
    assert low.verdict.value == "not_checked"
    # A clean card does not admit someone the registration refuses.
    red = isolation("start", march(19))
    with runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [red])
    assert summary(by_card(runtime, False, red.person.key)) == ("deny", ("S4", "M1"))
    assert by_card(runtime, False).shown["itinerary_card"] == "clear"


# --- every look-up is accountable (D2) ----------------------------------------------------------


def test_every_look_up_is_audited_with_staff_and_purpose__D2(runtime: Runtime) -> None:
    record(runtime, negative(march(18)))
    by_test(runtime)
    by_registration(runtime, STRANGER)
    by_card(runtime, True)
    by_certificate(runtime, "garbage")
    assert checkpoint_audit(runtime) == [
        ("staff-7", "checkpoint", "entry_check", "checkpoint.test", "allow"),
        ("staff-7", "checkpoint", "entry_check", "checkpoint.registration", "allow"),
        ("staff-7", "checkpoint", "entry_check", "checkpoint.itinerary_card", "deny"),
        ("staff-7", "checkpoint", "entry_check", "checkpoint.certificate", "deny"),
    ]
    with runtime.engine.connect() as connection:
        entries = " ".join(
            f"{row.object} {row.detail}" for row in connection.execute(select(audit_log))
        )
    assert GRANDMA.id_number not in entries
    assert STRANGER.id_number not in entries
    assert "card=risk_area" in entries


def test_a_look_up_without_a_declared_purpose_is_refused__D2(runtime: Runtime) -> None:
    with (
        runtime.unit_of_work(Actor("staff-7", "checkpoint", " ")) as uow,
        pytest.raises(CheckpointError, match="declared purpose"),
    ):
        check_by_registration(uow, GRANDMA.key, Venue.MALL, MEDIUM, name=GRANDMA_NAME)


def test_a_wrong_name_is_answered_exactly_as_an_unknown_number__S4_D2(runtime: Runtime) -> None:
    fever = Symptoms(SymptomsAction.REPORT, (Symptom.FEVER,))
    record(runtime, (fever, march(19)))
    wrong_name = by_registration(runtime, GRANDMA.key, name="王五")
    unknown = by_registration(runtime, STRANGER, name="王五")
    assert wrong_name.as_json() == unknown.as_json()
    assert wrong_name.shown == {"masked_name": "王*", "record": "none"}
    known = by_registration(runtime, GRANDMA.key)
    assert known.shown.keys() == unknown.shown.keys()  # one shape, known or not
    assert known.as_json().keys() == unknown.as_json().keys()
    assert known.shown["record"] == "on_file"
    tested = by_test(runtime, GRANDMA.key, name="王五"), by_test(runtime, STRANGER, name="王五")
    assert tested[0].as_json() == tested[1].as_json()


def test_look_ups_are_limited_per_staff_member_and_audited__S4_D2(runtime: Runtime) -> None:
    for _ in range(10):
        by_registration(runtime, STRANGER)
    with pytest.raises(Refused) as refused:
        by_registration(runtime, STRANGER)
    assert (refused.value.refusal.status, refused.value.refusal.code) == (429, "rate_limited")
    with runtime.engine.connect() as connection:
        throttled = connection.execute(
            select(audit_log.c.actor, audit_log.c.detail).where(
                audit_log.c.action == "checkpoint.lookup", audit_log.c.outcome == "throttled"
            )
        ).all()
    assert [tuple(row) for row in throttled] == [("staff-7", "limit=lookup_per_staff_minute")]
    other = Actor("staff-8", "checkpoint", "entry_check")
    with runtime.unit_of_work(other) as uow:  # another staff member has their own limit
        check_by_registration(uow, STRANGER, Venue.MALL, MEDIUM, name="王五")

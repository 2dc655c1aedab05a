"""Plain builder functions for test data (no fixtures): valid people, facts and areas."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from healthcode.db.audit_verify import ChainReport, verify
from healthcode.domain.areas import RiskArea, RiskLevel, SevereDesignation
from healthcode.domain.facts import (
    Action,
    DesignatedColour,
    Designation,
    Diagnosis,
    DiagnosisStatus,
    Entry,
    Fact,
    FeverClinic,
    HealthMonitoring,
    HomeObservation,
    Isolation,
    IsolationReason,
    IsolationSetting,
    Payload,
    Person,
    Retraction,
    Source,
    Symptom,
    Symptoms,
    SymptomsAction,
    Test,
    TestKind,
    TestResult,
    Trip,
    Vaccination,
)
from healthcode.domain.identity import IdType, resident_id_check_digit
from healthcode.domain.register import RegisterEntry
from healthcode.domain.timezones import CHINA_TIME
from healthcode.services.audit_seal import seal_key
from healthcode.services.households.register import record_register
from healthcode.services.refusals import Refusal, Refused
from healthcode.services.runtime import Actor, Runtime, UnitOfWork

_event_ids = itertools.count(1)


def march(day: int, hour: int = 12, minute: int = 0) -> datetime:
    """An instant in March 2021, China Standard Time."""
    return datetime(2021, 3, day, hour, minute, tzinfo=CHINA_TIME)


def resident_id(region: str = "330106", birth: str = "19800101", seq: str = "123") -> str:
    """A resident ID number with a correct check digit (tested in test_identity)."""
    first17 = region + birth + seq
    return first17 + resident_id_check_digit(first17)


def person(number: int = 1) -> Person:
    return Person(IdType.RESIDENT_ID, resident_id(seq=f"{number:03d}"))


def fact(
    payload: Payload, when: datetime, who: Person | None = None, source: Source = Source.HEALTH
) -> Fact:
    return Fact(f"e-{next(_event_ids)}", source, who or person(), when, payload)


def diagnosis(status: str, when: datetime, who: Person | None = None) -> Fact:
    return fact(Diagnosis(DiagnosisStatus(status)), when, who)


def nucleic_acid(result: str, sampled: datetime, known: datetime | None = None) -> Fact:
    payload = Test(TestKind.NUCLEIC_ACID, TestResult(result), sampled)
    return fact(payload, known or sampled + timedelta(hours=6))


def isolation(
    action: str, when: datetime, setting: str = "centralized", reason: str = "close_contact"
) -> Fact:
    started = action == "start"
    payload = Isolation(
        Action(action),
        IsolationSetting(setting) if started else None,
        IsolationReason(reason) if started else None,
    )
    return fact(payload, when)


def home_observation(action: str, when: datetime) -> Fact:
    return fact(HomeObservation(Action(action)), when)


def health_monitoring(action: str, when: datetime) -> Fact:
    return fact(HealthMonitoring(Action(action)), when)


def fever_clinic(action: str, when: datetime) -> Fact:
    return fact(FeverClinic(Action(action)), when)


def symptoms(action: str, when: datetime) -> Fact:
    listed = (Symptom.FEVER,) if action == "report" else ()
    return fact(Symptoms(SymptomsAction(action), listed), when, source=Source.RESIDENT)


def designation(action: str, when: datetime, color: str | None = "red") -> Fact:
    colour = DesignatedColour(color) if color else None
    return fact(
        Designation(Action(action), colour, "流调判定", "杭州市疫情防控办"),
        when,
        source=Source.ADMIN,
    )


def trip(
    region: str, start: datetime, until: datetime | None = None, venue_id: str | None = None
) -> Fact:
    return fact(Trip(region, until, venue_id), start, source=Source.TELECOM)


def vaccination(when: datetime, dose: int = 2) -> Fact:
    return fact(Vaccination(dose, "BBIBP-CorV"), when)


def entry(when: datetime, port: str = "PVG", country: str = "USA") -> Fact:
    return fact(Entry(port, country), when, source=Source.BORDER)


def retraction(event_id: str, when: datetime, who: Person | None = None) -> Fact:
    return fact(Retraction(event_id, "样本登记错误"), when, who, source=Source.HOTLINE)


def risk_area(region: str, level: str, start: datetime, end: datetime | None = None) -> RiskArea:
    return RiskArea(region, RiskLevel(level), start, end)


def severe(
    region: str | None,
    start: datetime,
    lookback_days: int = 14,
    end: datetime | None = None,
    venue_id: str | None = None,
) -> SevereDesignation:
    return SevereDesignation(
        "SD-1",
        region,
        venue_id,
        lookback_days,
        start,
        end,
        "浙江省疫情防控工作领导小组",
        "浙卫评〔2021〕1号",
    )


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def now(self) -> datetime:
        return self.instant


def operator(role: str = "department_client", purpose: str = "test") -> Actor:
    return Actor("tester", role, purpose)


def refusal_of(runtime: Runtime, actor: Actor, act: Callable[[UnitOfWork], object]) -> Refusal:
    """Run `act` in a unit of work that must refuse it; the refusal commits with its audit entry."""
    with pytest.raises(Refused) as refused, runtime.unit_of_work(actor) as uow:
        act(uow)
    return refused.value.refusal


def on_register(
    uow: UnitOfWork,
    person: Person,
    household: str = "H0001",
    phone: str | None = None,
    born: date | None = None,
) -> None:
    """Put `person` (their name as given) in the population register, with a phone on record."""
    entry = RegisterEntry(
        "register-" + hashlib.sha256(person.key.id_number.encode()).hexdigest()[:16],  # opaque
        Source.POLICE,
        replace(person, phone=phone),
        household,
        uow.now - timedelta(days=1),
        born,
    )
    record_register(uow, [entry])


def audit_report(runtime: Runtime, shipped: Iterable[tuple[str, object]] = ()) -> ChainReport:
    """The audit log verified as `healthcode audit verify` does, without adding an entry."""
    with runtime.engine.connect() as connection:
        public = seal_key(runtime.vault).public_key()
        return verify(connection, runtime.audit_key, public, shipped)

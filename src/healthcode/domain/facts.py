"""Facts: what departments, residents and the hotline tell us about a person (SPEC §1).

A fact is immutable and carries when it happened (`occurred_at`), not when it was sent. The
common envelope (`Fact`) holds one typed payload per event type, so code that folds facts can
match on the payload's class and never on loose strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from healthcode.domain.identity import IdType


class Source(StrEnum):
    HEALTH = "health"
    POLICE = "police"
    TRANSPORT = "transport"
    BORDER = "border"
    CUSTOMS = "customs"
    TELECOM = "telecom"
    AVIATION = "aviation"
    RAIL = "rail"
    RESIDENT = "resident"
    HOTLINE = "hotline"
    ADMIN = "admin"


class Action(StrEnum):
    START = "start"
    END = "end"


class DiagnosisStatus(StrEnum):
    CONFIRMED = "confirmed"
    SUSPECTED = "suspected"
    ASYMPTOMATIC = "asymptomatic"
    EXCLUDED = "excluded"
    DISCHARGED = "discharged"


class IsolationSetting(StrEnum):
    CENTRALIZED = "centralized"
    HOME = "home"


class IsolationReason(StrEnum):
    CLOSE_CONTACT = "close_contact"
    INBOUND = "inbound"
    RISK_AREA = "risk_area"
    RECOVERY = "recovery"
    OTHER = "other"


class SymptomsAction(StrEnum):
    REPORT = "report"
    RESOLVED = "resolved"


class Symptom(StrEnum):
    FEVER = "fever"
    SHORTNESS_OF_BREATH = "shortness_of_breath"
    RESPIRATORY = "respiratory"


class TestKind(StrEnum):
    __test__ = False  # not a pytest test class despite its name
    NUCLEIC_ACID = "nucleic_acid"


class TestResult(StrEnum):
    __test__ = False
    NEGATIVE = "negative"
    POSITIVE = "positive"


class DesignatedColour(StrEnum):
    RED = "red"
    YELLOW = "yellow"
    # An authority's override after an appeal (S6); only ever for a limited time, see Designation.
    GREEN = "green"


@dataclass(frozen=True, slots=True)
class Person:
    """Who a fact is about. Only `id_type` and `id_number` identify; the rest is optional detail."""

    id_type: IdType
    id_number: str
    name: str | None = None
    phone: str | None = None
    nationality: str | None = None

    @property
    def key(self) -> PersonKey:
        return PersonKey(self.id_type, self.id_number)


class PersonKey(NamedTuple):
    """What identifies a person across facts; a tuple, because millions of them are hashed."""

    id_type: IdType
    id_number: str


@dataclass(frozen=True, slots=True)
class Diagnosis:
    status: DiagnosisStatus


@dataclass(frozen=True, slots=True)
class Isolation:
    """Isolation medical observation (隔离医学观察); `setting` and `reason` only on `start`."""

    action: Action
    setting: IsolationSetting | None
    reason: IsolationReason | None


@dataclass(frozen=True, slots=True)
class HomeObservation:
    """Home health observation (居家健康观察)."""

    action: Action


@dataclass(frozen=True, slots=True)
class HealthMonitoring:
    """Daily health monitoring (日常健康监测)."""

    action: Action


@dataclass(frozen=True, slots=True)
class FeverClinic:
    """Unexplained fever (不明原因发热) opened or cleared by a fever clinic."""

    action: Action


@dataclass(frozen=True, slots=True)
class Symptoms:
    action: SymptomsAction
    symptoms: tuple[Symptom, ...] = ()


@dataclass(frozen=True, slots=True)
class Test:
    """A test result; the fact's `occurred_at` is when the result was known.

    `issuing_country` (an extension of SPEC §1, issue #15) is the country whose certificate
    states the result, ISO 3166-1 alpha-2 as certificates write it; None for a domestic result.
    """

    __test__ = False
    kind: TestKind
    result: TestResult
    sampled_at: datetime
    issuing_country: str | None = None


@dataclass(frozen=True, slots=True)
class Vaccination:
    """A vaccine dose; `issuing_country` as for `Test` (a dose given abroad)."""

    dose: int
    product: str
    issuing_country: str | None = None


@dataclass(frozen=True, slots=True)
class Recovery:
    """Recovered from COVID-19, as a certificate of recovery states (an extension of SPEC §1,
    issue #15): the fact's `occurred_at` is the first positive test, the certificate is valid
    from `valid_from` until `valid_until`. It is evidence about a past infection, not a
    diagnosis: the colour rules do not read it.
    """

    valid_from: datetime | None = None
    valid_until: datetime | None = None
    issuing_country: str | None = None


@dataclass(frozen=True, slots=True)
class Trip:
    """The person was in `region` from the fact's `occurred_at` until `until` (None: still there).

    `venue_id` is an extension of SPEC §1: a trip that is known down to a place, so that severe
    designations of places (A7) can match it.
    """

    region: str
    until: datetime | None = None
    venue_id: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    port: str
    from_country: str


@dataclass(frozen=True, slots=True)
class Designation:
    """其他须纳入红/黄码管理的人员: a person put under red or yellow management by an authority.

    Green is the override an authority grants after an appeal (S6): its expiry is an `end`
    designation recorded with it and dated at the expiry (see services/facts.py), so that the
    override lapses by itself and the code is reviewed then.
    """

    action: Action
    color: DesignatedColour | None
    reason: str | None
    authority: str | None

    def __post_init__(self) -> None:
        # A colour override without someone answerable for it must not exist, whoever builds it.
        green_start = self.action is Action.START and self.color is DesignatedColour.GREEN
        if green_start and not self.authority:
            raise ValueError("a green designation needs the authority that decided it")


@dataclass(frozen=True, slots=True)
class Retraction:
    """Withdraws the earlier fact of the same person whose `event_id` it names (S6).

    The log is never edited: the withdrawn fact stays on file and stops counting from the instant
    the retraction occurred (domain/corrections.py).
    """

    event_id: str
    reason: str | None


Payload = (
    Diagnosis
    | Isolation
    | HomeObservation
    | HealthMonitoring
    | FeverClinic
    | Symptoms
    | Test
    | Vaccination
    | Recovery
    | Trip
    | Entry
    | Designation
    | Retraction
)

EVENT_TYPES: dict[str, type[Payload]] = {
    "diagnosis": Diagnosis,
    "isolation": Isolation,
    "home_observation": HomeObservation,
    "health_monitoring": HealthMonitoring,
    "fever_clinic": FeverClinic,
    "symptoms": Symptoms,
    "test": Test,
    "vaccination": Vaccination,
    "recovery": Recovery,
    "trip": Trip,
    "entry": Entry,
    "designation": Designation,
    "retraction": Retraction,
}
"""The exchange format's `type` values and the payload class each one carries."""


@dataclass(frozen=True, slots=True)
class Fact:
    event_id: str
    source: Source
    person: Person
    occurred_at: datetime
    payload: Payload

    @property
    def type(self) -> str:
        return TYPE_OF_PAYLOAD[type(self.payload)]


TYPE_OF_PAYLOAD: dict[type[Payload], str] = {cls: name for name, cls in EVENT_TYPES.items()}

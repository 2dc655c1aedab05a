"""Features: a person's facts folded into the documented status at one instant (DESIGN, layer 1).

`derive_features` is the only place that interprets facts. Rules (layer 2, data) see nothing but
the features, through `Features.as_data`. As-of semantics: a fact that occurred after the instant
does not count, nor one withdrawn by a retraction that occurred by then (domain/corrections.py), so
the same facts give the same features at the same instant, whatever the order in which they
arrived.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from healthcode.certlogic import format_datetime
from healthcode.domain.corrections import in_force
from healthcode.domain.episodes import CLOSED, Episode
from healthcode.domain.exposure import (
    NO_RISK_EXPOSURE,
    NO_SEVERE_EXPOSURE,
    AreaIndex,
    RiskExposure,
    SevereExposure,
    Stay,
)
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
    Symptom,
    Symptoms,
    SymptomsAction,
    Test,
    TestResult,
    Trip,
    Vaccination,
)


@dataclass(frozen=True, slots=True)
class Features:
    """Everything the rules may know about a person at one instant. See docs/features.md."""

    diagnosis: DiagnosisStatus | None = None
    diagnosed_at: datetime | None = None
    positive_test_pending: bool = False
    last_negative_sampled_at: datetime | None = None
    last_positive_sampled_at: datetime | None = None
    isolation: Episode = CLOSED
    isolation_setting: IsolationSetting | None = None
    isolation_reason: IsolationReason | None = None
    home_observation: Episode = CLOSED
    health_monitoring: Episode = CLOSED
    fever_clinic: Episode = CLOSED
    symptoms_open: bool = False
    symptoms_reported_at: datetime | None = None
    symptoms: tuple[Symptom, ...] = ()
    red_designation: Episode = CLOSED
    yellow_designation: Episode = CLOSED
    green_designation: Episode = CLOSED
    designation_reason: str | None = None
    risk_area: RiskExposure = NO_RISK_EXPOSURE
    severe_area: SevereExposure = NO_SEVERE_EXPOSURE
    last_entry_at: datetime | None = None
    entry_from_country: str | None = None
    vaccination_doses: int = 0
    stays: tuple[Stay, ...] = field(default=(), repr=False)

    def as_data(self, now: datetime) -> dict[str, object]:
        """The CertLogic data context: JSON values only, instants as ISO 8601 strings."""
        return {
            "now": _instant(now),
            "diagnosis": {
                "status": _value(self.diagnosis),
                "at": _instant(self.diagnosed_at),
                "positive_test_pending": self.positive_test_pending,
            },
            "tests": {
                "last_negative_sampled_at": _instant(self.last_negative_sampled_at),
                "last_positive_sampled_at": _instant(self.last_positive_sampled_at),
            },
            "isolation": {
                **_episode(self.isolation),
                "setting": _value(self.isolation_setting),
                "reason": _value(self.isolation_reason),
            },
            "home_observation": _episode(self.home_observation),
            "health_monitoring": _episode(self.health_monitoring),
            "fever_clinic": _episode(self.fever_clinic),
            "symptoms": {
                "open": self.symptoms_open,
                "reported_at": _instant(self.symptoms_reported_at),
                "symptoms": [symptom.value for symptom in self.symptoms],
            },
            "designation": {
                "red": self.red_designation.active,
                "yellow": self.yellow_designation.active,
                "green": self.green_designation.active,
                "reason": self.designation_reason,
            },
            "risk_area": {
                "exposed": self.risk_area.exposed,
                "ongoing": self.risk_area.ongoing,
                "last_exposure_end": _instant(self.risk_area.last_end),
                "level": _value(self.risk_area.level),
            },
            "severe_area": {
                "exposed": self.severe_area.exposed,
                "ongoing": self.severe_area.ongoing,
                "red_until": _instant(self.severe_area.red_until),
                "designations": list(self.severe_area.designation_ids),
            },
            "entry": {
                "last_at": _instant(self.last_entry_at),
                "from_country": self.entry_from_country,
            },
            "vaccination": {"doses": self.vaccination_doses},
        }


def _instant(value: datetime | None) -> str | None:
    return None if value is None else format_datetime(value)


def _value(member: StrEnum | None) -> str | None:
    # Plain strings: CertLogic compares JSON values, and an enum is not one.
    return None if member is None else member.value


def _episode(episode: Episode) -> dict[str, object]:
    return {
        "active": episode.active,
        "since": _instant(episode.since),
        "ended_at": _instant(episode.ended_at),
    }


def fact_order(fact: Fact) -> tuple[datetime, str, str]:
    """Facts are folded in the order they happened; ties broken by identity, never by arrival."""
    return (fact.occurred_at, fact.source, fact.event_id)


def derive_features(facts: Iterable[Fact], areas: AreaIndex, at: datetime) -> Features:
    """Fold one person's facts into their features at `at`, against the given area lists."""
    fold = _Fold()
    for fact in sorted(in_force(facts, at), key=fact_order):
        fold.apply(fact)
    stays = _stays(fold.trips)
    if stays:
        fold.set(
            stays=stays,
            risk_area=areas.risk_exposure(stays, at),
            severe_area=areas.severe_exposure(stays, at),
        )
    return Features(**fold.values)


def _stays(trips: list[tuple[datetime, Trip]]) -> tuple[Stay, ...]:
    """Trips as stays; an open trip ends where the person's next trip begins."""
    stays = []
    for index, (start, trip) in enumerate(trips):
        end = trip.until
        if end is None and index + 1 < len(trips):
            end = trips[index + 1][0]
        stays.append(Stay(trip.region, start, end, trip.venue_id))
    return tuple(stays)


_NOTHING_KNOWN = Features()


class _Fold:
    """The running state while a person's facts are applied in time order.

    Changes are collected by feature name and the frozen `Features` is built once at the end: a
    copy per fact would cost more than all the rules together.
    """

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.trips: list[tuple[datetime, Trip]] = []

    def get(self, name: str) -> Any:
        return self.values[name] if name in self.values else getattr(_NOTHING_KNOWN, name)

    def set(self, **changes: object) -> None:
        self.values.update(changes)

    def apply(self, fact: Fact) -> None:
        payload = fact.payload
        at = fact.occurred_at
        match payload:
            case Diagnosis():
                self._diagnosis(payload, at)
            case Test():
                self._test(payload, at)
            case Isolation():
                self._isolation(payload, at)
            case HomeObservation():
                self.set(home_observation=_step(self.get("home_observation"), payload.action, at))
            case HealthMonitoring():
                self.set(health_monitoring=_step(self.get("health_monitoring"), payload.action, at))
            case FeverClinic():
                self.set(fever_clinic=_step(self.get("fever_clinic"), payload.action, at))
            case Symptoms():
                self._symptoms(payload, at)
            case Designation():
                self._designation(payload, at)
            case Trip():
                self.trips.append((at, payload))
            case Entry():
                self.set(last_entry_at=at, entry_from_country=payload.from_country)
            case Vaccination():
                self.set(vaccination_doses=max(self.get("vaccination_doses"), payload.dose))

    def _diagnosis(self, payload: Diagnosis, at: datetime) -> None:
        # A diagnosis is the health department's word on every earlier positive test.
        self.set(diagnosis=payload.status, diagnosed_at=at, positive_test_pending=False)

    def _test(self, payload: Test, at: datetime) -> None:
        sampled = payload.sampled_at
        if payload.result is TestResult.POSITIVE:
            last = _later(self.get("last_positive_sampled_at"), sampled)
            self.set(positive_test_pending=True, last_positive_sampled_at=last)
        else:
            self.set(last_negative_sampled_at=_later(self.get("last_negative_sampled_at"), sampled))

    def _isolation(self, payload: Isolation, at: datetime) -> None:
        episode = _step(self.get("isolation"), payload.action, at)
        if payload.action is Action.START:
            self.set(
                isolation=episode,
                isolation_setting=payload.setting or self.get("isolation_setting"),
                isolation_reason=payload.reason or self.get("isolation_reason"),
            )
        else:
            self.set(isolation=episode)

    def _symptoms(self, payload: Symptoms, at: datetime) -> None:
        if payload.action is SymptomsAction.REPORT:
            # The latest report counts: a negative test must be sampled after it.
            self.set(symptoms_open=True, symptoms_reported_at=at, symptoms=payload.symptoms)
        else:
            self.set(symptoms_open=False)

    def _designation(self, payload: Designation, at: datetime) -> None:
        colours = (payload.color,) if payload.color else tuple(DesignatedColour)
        for colour in colours:
            name = f"{colour.value}_designation"
            self.set(**{name: _step(self.get(name), payload.action, at)})
        if payload.action is Action.START:
            self.set(designation_reason=payload.reason)


def _step(episode: Episode, action: Action, at: datetime) -> Episode:
    return episode.started(at) if action is Action.START else episode.ended(at)


def _later(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None else max(current, candidate)

"""Department events (SPEC §1): one record in, one validated `Fact` out, or a located error.

Fields that this version does not know are ignored, so that departments can extend the format
without breaking readers ("extend, never break").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

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
    Recovery,
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
from healthcode.domain.identity import issuing_country_problem, nationality_problem
from healthcode.domain.regions import region_problem
from healthcode.exchange.fields import Fields, parse_located
from healthcode.exchange.persons import parse_person

PayloadParser = Callable[[Fields, datetime], Payload]


def parse_fact(record: Mapping[str, object], location: str = "record") -> Fact:
    """Validate every field of one event record; raises InvalidRecordError located at `location`."""
    return parse_located(_fact, record, location)


def parse_payload(
    record: Mapping[str, object], location: str = "record"
) -> tuple[datetime, Payload]:
    """`occurred_at` and the payload of a record whose person and source are known elsewhere (a
    fact a handler adds on an appeal): `type`, `occurred_at` and the type's fields, read and
    located exactly as in a whole record."""
    return parse_located(_occurred_payload, record, location)


def _occurred_payload(fields: Fields) -> tuple[datetime, Payload]:
    parse_payload = _payload_parser(fields)
    occurred_at = fields.instant("occurred_at")
    return occurred_at, parse_payload(fields, occurred_at)


def _fact(fields: Fields) -> Fact:
    event_id = fields.text("event_id")
    source = fields.choice("source", Source)
    parse_payload = _payload_parser(fields)
    occurred_at = fields.instant("occurred_at")
    person = parse_person(fields.section("person"), occurred_at)
    payload = parse_payload(fields, occurred_at)
    if isinstance(payload, Retraction) and payload.event_id == event_id:
        fields.fail("retracts", "must name an earlier fact, not the retraction itself")
    return Fact(event_id, source, person, occurred_at, payload)


def _payload_parser(fields: Fields) -> PayloadParser:
    type_name = fields.text("type")
    parser = _PAYLOAD_PARSERS.get(type_name)
    if parser is None:
        fields.fail("type", "unknown event type; expected one of: " + ", ".join(_PAYLOAD_PARSERS))
    return parser


def _require_on_start(fields: Fields, action: Action, **values: object) -> None:
    """Starting a measure needs details that ending it does not (the end refers to the start)."""
    if action != Action.START:
        return
    for name, value in values.items():
        if value is None:
            fields.fail(name, "is required when action is start")


def _diagnosis(fields: Fields, _occurred_at: datetime) -> Diagnosis:
    return Diagnosis(fields.choice("status", DiagnosisStatus))


def _isolation(fields: Fields, _occurred_at: datetime) -> Isolation:
    action = fields.choice("action", Action)
    setting = fields.optional_choice("setting", IsolationSetting)
    reason = fields.optional_choice("reason", IsolationReason)
    _require_on_start(fields, action, setting=setting, reason=reason)
    return Isolation(action, setting, reason)


def _action_only(make: Callable[[Action], Payload]) -> PayloadParser:
    """Types whose only field is `action`: home observation, health monitoring, fever clinic."""

    def parse(fields: Fields, _occurred_at: datetime) -> Payload:
        return make(fields.choice("action", Action))

    return parse


def _symptoms(fields: Fields, _occurred_at: datetime) -> Symptoms:
    action = fields.choice("action", SymptomsAction)
    symptoms = fields.choices("symptoms", Symptom)
    if action == SymptomsAction.REPORT and not symptoms:
        fields.fail("symptoms", "must list at least one symptom when action is report")
    return Symptoms(action, symptoms)


def _test(fields: Fields, occurred_at: datetime) -> Test:
    kind = fields.choice("kind", TestKind)
    result = fields.choice("result", TestResult)
    sampled_at = fields.instant("sampled_at")
    # occurred_at is when the result was known, which cannot come before the sample was taken.
    if sampled_at > occurred_at:
        fields.fail("sampled_at", "must not be later than occurred_at (when the result was known)")
    return Test(kind, result, sampled_at, _issuing_country(fields))


def _vaccination(fields: Fields, _occurred_at: datetime) -> Vaccination:
    dose, product = fields.integer("dose", minimum=1), fields.text("product")
    return Vaccination(dose, product, _issuing_country(fields))


def _issuing_country(fields: Fields) -> str | None:
    """The optional `issuing_country` of a vaccination, test or recovery stated abroad."""
    return fields.optional_text("issuing_country", check=issuing_country_problem)


def _recovery(fields: Fields, occurred_at: datetime) -> Recovery:
    valid_from = fields.optional_instant("valid_from")
    valid_until = fields.optional_instant("valid_until")
    # occurred_at is the first positive test, which the certificate follows.
    if valid_from is not None and valid_from < occurred_at:
        fields.fail("valid_from", "must not be earlier than occurred_at (the first positive test)")
    if valid_until is not None and valid_until <= (valid_from or occurred_at):
        fields.fail("valid_until", "must be later than valid_from and occurred_at")
    return Recovery(valid_from, valid_until, _issuing_country(fields))


def _trip(fields: Fields, occurred_at: datetime) -> Trip:
    region = fields.text("region", check=region_problem)
    until = fields.optional_instant("until")
    if until is not None and until <= occurred_at:
        fields.fail("until", "must be later than occurred_at (when the stay began)")
    return Trip(region, until, fields.optional_text("venue_id"))


def _entry(fields: Fields, _occurred_at: datetime) -> Entry:
    port = fields.text("port")
    return Entry(port, fields.text("from_country", check=nationality_problem))


def _designation(fields: Fields, _occurred_at: datetime) -> Designation:
    action = fields.choice("action", Action)
    color = fields.optional_choice("color", DesignatedColour)
    reason = fields.optional_text("reason")
    authority = fields.optional_text("authority")
    _require_on_start(fields, action, color=color, authority=authority)
    return Designation(action, color, reason, authority)


def _retraction(fields: Fields, _occurred_at: datetime) -> Retraction:
    # Whether the named fact exists, and is the same person's, is checked where facts are stored.
    return Retraction(fields.text("retracts"), fields.optional_text("reason"))


_PAYLOAD_PARSERS: dict[str, PayloadParser] = {
    "diagnosis": _diagnosis,
    "isolation": _isolation,
    "home_observation": _action_only(HomeObservation),
    "health_monitoring": _action_only(HealthMonitoring),
    "fever_clinic": _action_only(FeverClinic),
    "symptoms": _symptoms,
    "test": _test,
    "vaccination": _vaccination,
    "recovery": _recovery,
    "trip": _trip,
    "entry": _entry,
    "designation": _designation,
    "retraction": _retraction,
}

"""Department events of SPEC §1 read into Facts, every field checked and every problem located."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from exchange_builders import VALID_PAYLOADS, event, person, resident_id

from healthcode.domain.facts import (
    EVENT_TYPES,
    Action,
    Designation,
    Diagnosis,
    DiagnosisStatus,
    Entry,
    Isolation,
    IsolationReason,
    IsolationSetting,
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
from healthcode.domain.identity import IdType
from healthcode.exchange import InvalidRecordError, RecordError, parse_fact

BEIJING = timezone(timedelta(hours=8))


def rejection(record: dict[str, Any]) -> RecordError:
    with pytest.raises(InvalidRecordError) as raised:
        parse_fact(record, "line 7")
    return raised.value.error


def test_every_event_type_is_read_into_its_payload__S5() -> None:
    assert set(VALID_PAYLOADS) == set(EVENT_TYPES), "the builders cover every type of SPEC §1"
    for event_type, payload_class in EVENT_TYPES.items():
        fact = parse_fact(event(event_type))
        assert isinstance(fact.payload, payload_class)
        assert fact.type == event_type


def test_common_fields_are_read__S5() -> None:
    fact = parse_fact(event("diagnosis", event_id=" H-0001 ", source="police"))
    assert fact.event_id == "H-0001"
    assert fact.source == Source.POLICE
    assert fact.occurred_at == datetime(2021, 3, 10, 12, tzinfo=BEIJING)
    assert fact.person.id_type == IdType.RESIDENT_ID
    assert fact.person.id_number == resident_id()
    assert (fact.person.name, fact.person.phone, fact.person.nationality) == (
        "张三",
        "13800138000",
        "CHN",
    )


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (event("diagnosis", status="excluded"), Diagnosis(DiagnosisStatus.EXCLUDED)),
        (
            event("isolation", setting="home", reason="inbound"),
            Isolation(Action.START, IsolationSetting.HOME, IsolationReason.INBOUND),
        ),
        (
            event("isolation", action="end", setting=None, reason=None),
            Isolation(Action.END, None, None),
        ),
        (
            event("symptoms", symptoms=["shortness_of_breath"]),
            Symptoms(SymptomsAction.REPORT, (Symptom.SHORTNESS_OF_BREATH,)),
        ),
        (
            event("symptoms", action="resolved", symptoms=None),
            Symptoms(SymptomsAction.RESOLVED, ()),
        ),
        (
            event("test", result="positive", occurred_at="2021-03-10T08:00:00+08:00"),
            Test(
                TestKind.NUCLEIC_ACID,
                TestResult.POSITIVE,
                datetime(2021, 3, 10, 8, tzinfo=BEIJING),
            ),
        ),
        (event("vaccination", dose=1, product="Comirnaty"), Vaccination(1, "Comirnaty")),
        (event("trip", region="330106001", until=None), Trip("330106001")),
        (
            event("trip", region="330106", venue_id="V-0001"),
            Trip("330106", datetime(2021, 3, 12, 18, tzinfo=BEIJING), "V-0001"),
        ),
        (event("entry", port="HGH", from_country="GBR"), Entry("HGH", "GBR")),
        (
            event("designation", action="end", color=None, reason=None, authority=None),
            Designation(Action.END, None, None, None),
        ),
    ],
)
def test_payload_fields_are_read__S5(record: dict[str, Any], expected: object) -> None:
    assert parse_fact(record).payload == expected


BAD_FIELDS = [
    # (record, field, reason contains)
    (event(event_id=None), "event_id", "required"),
    (event(event_id="  "), "event_id", "required"),
    (event(event_id=17), "event_id", "must be a string"),
    (event(source="weibo"), "source", "must be one of: health, police"),
    (event(source=None), "source", "required"),
    (event("quarantine"), "type", "unknown event type"),
    (event(type=None), "type", "required"),
    (event(occurred_at=None), "occurred_at", "required"),
    (event(occurred_at="10/03/2021"), "occurred_at", "ISO 8601"),
    (event(occurred_at="2021-03-10T12:00:00"), "occurred_at", "UTC offset"),
    (event(person=None), "person", "required"),
    (event(person="张三"), "person", "must be an object"),
    (event(person=person(id_type="driving_licence")), "person.id_type", "must be one of"),
    (event(person=person(id_type=None)), "person.id_type", "required"),
    (event(person=person(id_number=None)), "person.id_number", "required"),
    (event(person=person(id_number="330106198001010010")), "person.id_number", "check digit"),
    (event(person=person(id_number="33010619800101001")), "person.id_number", "17 digits"),
    (
        event(person=person(id_number=resident_id(birth="20210311"))),
        "person.id_number",
        "after occurred_at",
    ),
    (event(person=person(name="张3")), "person.name", "digits"),
    (event(person=person(phone="12345")), "person.phone", "mobile"),
    (event(person=person(nationality="CN")), "person.nationality", "alpha-3"),
    (event("diagnosis", status="cured"), "status", "must be one of"),
    (event("diagnosis", status=None), "status", "required"),
    (event("isolation", action="pause"), "action", "must be one of: start, end"),
    (event("isolation", setting=None), "setting", "required when action is start"),
    (event("isolation", reason=None), "reason", "required when action is start"),
    (event("isolation", setting="hotel"), "setting", "must be one of"),
    (event("isolation", reason="travel"), "reason", "must be one of"),
    (event("home_observation", action=None), "action", "required"),
    (event("health_monitoring", action="begin"), "action", "must be one of"),
    (event("fever_clinic", action=True), "action", "must be a string"),
    (event("symptoms", action="start"), "action", "must be one of: report, resolved"),
    (event("symptoms", symptoms=None), "symptoms", "at least one symptom"),
    (event("symptoms", symptoms=[]), "symptoms", "at least one symptom"),
    (event("symptoms", symptoms=["cough"]), "symptoms", "must be one of"),
    (event("symptoms", symptoms="fever"), "symptoms", "list of strings"),
    (event("test", kind="antigen"), "kind", "must be one of: nucleic_acid"),
    (event("test", result="unclear"), "result", "must be one of"),
    (event("test", sampled_at=None), "sampled_at", "required"),
    (event("test", sampled_at="2021-03-10T08:00:00"), "sampled_at", "UTC offset"),
    (event("test", sampled_at="2021-03-10T13:00:00+08:00"), "sampled_at", "not be later"),
    (event("vaccination", dose=0), "dose", "at least 1"),
    (event("vaccination", dose="2"), "dose", "whole number"),
    (event("vaccination", dose=1.5), "dose", "whole number"),
    (event("vaccination", dose=True), "dose", "whole number"),
    (event("vaccination", product=None), "product", "required"),
    (event("trip", region="4201"), "region", "6, 9 or 12 digits"),
    (event("trip", region="999999"), "region", "unknown GB/T 2260"),
    (event("trip", region=420106), "region", "must be a string"),
    (event("trip", until="2021-03-09T12:00:00+08:00"), "until", "later than occurred_at"),
    (event("trip", until="2021-03-12"), "until", "UTC offset"),
    (event("entry", port=None), "port", "required"),
    (event("entry", from_country="XYZ"), "from_country", "alpha-3"),
    (event("entry", from_country=None), "from_country", "required"),
    (event("designation", action=None), "action", "required"),
    (event("designation", color="blue"), "color", "must be one of: red, yellow, green"),
    (event("designation", color=None), "color", "required when action is start"),
    (event("designation", authority=None), "authority", "required when action is start"),
]


@pytest.mark.parametrize(("record", "field", "reason"), BAD_FIELDS)
def test_bad_field_is_located__S5(record: dict[str, Any], field: str, reason: str) -> None:
    error = rejection(record)
    assert (error.location, error.field) == ("line 7", field)
    assert reason in error.reason


def test_rejection_names_the_event_id_when_there_is_one__S5() -> None:
    assert rejection(event(event_id="H-9", status="cured")).event_id == "H-9"
    assert rejection(event(event_id=None)).event_id is None
    assert str(rejection(event(event_id="H-9", status="cured"))).startswith(
        "line 7 (event_id H-9), status: must be one of"
    )


def test_naive_timestamp_is_rejected_with_a_clear_reason__S5() -> None:
    error = rejection(event(occurred_at="2021-03-10T12:00:00"))
    assert error.reason == "needs a UTC offset, as in 2021-03-20T08:00:00+08:00"


def test_timestamps_keep_their_offset_and_accept_z__S5() -> None:
    fact = parse_fact(event(occurred_at="2021-03-10T04:00:00Z"))
    assert fact.occurred_at == datetime(2021, 3, 10, 12, tzinfo=BEIJING)
    assert fact.occurred_at.utcoffset() == timedelta(0)


def test_null_and_blank_optional_fields_count_as_absent__S5() -> None:
    record = event("trip", until=None)
    record["until"] = None
    record["venue_id"] = " "
    record["person"] = {**person(name=None), "name": None, "phone": ""}
    fact = parse_fact(record)
    assert fact.payload == Trip("420106")
    assert (fact.person.name, fact.person.phone) == (None, None)


def test_unknown_fields_are_ignored_so_the_format_can_grow__S5() -> None:
    record = event("vaccination", batch="202103A", lot={"site": "Beijing"})
    record["person"] = {**person(), "blood_type": "O"}
    assert parse_fact(record) == parse_fact(event("vaccination"))


def test_id_number_is_compared_in_its_normalised_form__S5() -> None:
    # 330106198001010033 has check character X: written lower-case and in full-width digits.
    number = resident_id(sequence="003")
    assert number.endswith("X")
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number[:-1]) + "x"
    assert parse_fact(event(person=person(id_number=full_width))).person.id_number == number


def test_birth_on_the_day_of_the_event_is_accepted__S5() -> None:
    born_today = person(id_number=resident_id(birth="20210310"))
    assert parse_fact(event(person=born_today, occurred_at="2021-03-10T00:30:00+08:00"))
    # 2021-03-09T20:00Z is already 10 March in China, where birth dates are written.
    assert parse_fact(event(person=born_today, occurred_at="2021-03-09T20:00:00Z"))


@pytest.mark.parametrize(
    ("id_type", "id_number", "nationality"),
    [
        ("passport", "E12345678", "CHN"),
        ("passport", "p1234567<<", "USA"),
        ("hk_macao_permit", "H12345678", None),
        ("taiwan_permit", "12345678", None),
        ("foreign_permanent_resident", "USA330106800101", "USA"),
    ],
)
def test_passports_and_permits_are_accepted__A8(
    id_type: str, id_number: str, nationality: str | None
) -> None:
    traveller = person(id_type=id_type, id_number=id_number, nationality=nationality)
    fact = parse_fact(event("entry", person=traveller))
    assert fact.person.id_type == IdType(id_type)
    assert fact.person.nationality == nationality


@pytest.mark.parametrize(
    ("id_type", "id_number"),
    [
        ("passport", "E12"),
        ("passport", "E123-45678"),
        ("hk_macao_permit", "X12345678"),
        ("taiwan_permit", "1234567"),
        ("foreign_permanent_resident", "US3301068001"),
    ],
)
def test_bad_passport_or_permit_number_is_located__A8(id_type: str, id_number: str) -> None:
    error = rejection(event("entry", person=person(id_type=id_type, id_number=id_number)))
    assert error.field == "person.id_number"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id_number", "330106198001010010"),
        ("id_number", resident_id(birth="20990101")),
        ("name", "张3"),
        ("phone", "12345"),
        ("nationality", "ZZZ"),
    ],
)
def test_reasons_never_echo_personal_values__S5(field: str, value: str) -> None:
    error = rejection(event(person=person(**{field: value})))
    assert error.field == f"person.{field}"
    assert value not in str(error)

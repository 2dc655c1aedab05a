"""Checkpoint staff verify codes at a registered venue and check people without a phone (S4).

Real codes are issued for stored persons; answers hold only what a checkpoint may know (D2).
"""

from __future__ import annotations

import zlib
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import ManualClock, fact, march, operator, resident_id
from healthcode.db.schema import audit_log
from healthcode.domain.areas import RiskLevel
from healthcode.domain.certificates import InstitutionKind, Statement
from healthcode.domain.facts import (
    Diagnosis,
    DiagnosisStatus,
    Person,
    Source,
    Test,
    TestKind,
    TestResult,
    Vaccination,
)
from healthcode.domain.identity import IdType
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.services.checkpoint.institutions import issue_certificate, register_institution
from healthcode.services.checkpoint.venues import register_venue
from healthcode.services.codes.issuing import issue_code
from healthcode.services.facts import record_facts
from healthcode.services.runtime import Actor, Runtime
from healthcode.tokens import PREFIX
from healthcode.tokens.base45 import b45decode, b45encode
from web_builders import SCRAPER, Callers, RouteCase, assert_access

CHECKPOINT = frozenset({Role.CHECKPOINT})
ADMIN = Actor("admin", "system-admin", "venue registration")
GREEN = Person(IdType.RESIDENT_ID, resident_id(seq="301"), "张小三", "13912345678")
RED = Person(IdType.RESIDENT_ID, resident_id(seq="302"), "李四", "13800001111")
NO_PHONE = Person(IdType.RESIDENT_ID, resident_id(birth="19380303", seq="303"), "赵桂英")
STRANGER = resident_id(birth="19450404", seq="304")
DOCUMENT = {"id_type": "resident_id", "name": "王五", "venue_id": "nowhere"}

ROUTES = [
    RouteCase("POST", "/api/v1/verify", CHECKPOINT, {"token": "HZ1:X", "venue_id": "nowhere"}),
    RouteCase("POST", "/api/v1/checkpoint/test", CHECKPOINT, {**DOCUMENT, "id_number": STRANGER}),
    RouteCase(
        "POST", "/api/v1/checkpoint/registration", CHECKPOINT, {**DOCUMENT, "id_number": STRANGER}
    ),
    RouteCase(
        "POST",
        "/api/v1/checkpoint/certificate",
        CHECKPOINT,
        {"certificate": "HZC1:X", "venue_id": "nowhere"},
    ),
    RouteCase(
        "POST",
        "/api/v1/checkpoint/itinerary",
        CHECKPOINT,
        {**DOCUMENT, "id_number": STRANGER, "shows_risk_area": False},
    ),
]


@pytest.mark.parametrize("case", ROUTES, ids=lambda case: f"{case.method} {case.path}")
def test_only_checkpoint_staff_verify__D2(access_callers: Callers, case: RouteCase) -> None:
    assert_access(access_callers, case)


@pytest.fixture
def staff(callers: Callers, runtime: Runtime) -> dict[str, str]:
    """Checkpoint staff at a mall (medium risk) and a park in a low-risk area; people on record."""
    with runtime.unit_of_work(ADMIN) as uow:
        register_venue(uow, "mall", "银泰百货", Venue.MALL, "330106", RiskLevel.MEDIUM)
        register_venue(uow, "park", "西湖公园", Venue.PARK, "330106", RiskLevel.LOW)
    vaccinated = Vaccination(1, "灭活疫苗")
    confirmed = Diagnosis(DiagnosisStatus.CONFIRMED)
    negative = Test(TestKind.NUCLEIC_ACID, TestResult.NEGATIVE, march(18))
    with runtime.unit_of_work(operator()) as uow:
        record_facts(
            uow,
            [
                fact(vaccinated, march(3), GREEN),
                fact(confirmed, march(19), RED),
                fact(negative, march(18, 18), NO_PHONE, Source.HEALTH),
            ],
        )
    return callers.staff(Role.CHECKPOINT)


def code_for(runtime: Runtime, who: Person) -> str:
    with runtime.unit_of_work(operator("operator", "code issue")) as uow:
        return issue_code(uow, who.key).text


def verify(
    client: TestClient, headers: dict[str, str], token: str, venue: str = "mall"
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/verify", headers=headers, json={"token": token, "venue_id": venue}
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def tampered(token: str) -> str:
    cose = bytearray(zlib.decompress(b45decode(token.removeprefix(PREFIX))))
    cose[-1] ^= 0x55  # the last byte of the signature
    return PREFIX + b45encode(zlib.compress(bytes(cose), 9))


def test_green_code_is_allowed_with_only_what_a_checkpoint_may_know__M5_D2(
    client: TestClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    answer = verify(client, staff, code_for(runtime, GREEN))
    assert (answer["decision"], answer["colour"], answer["masked_name"]) == (
        "allow",
        "green",
        "张*三",
    )
    assert answer["reason"]["zh"]
    assert answer["reason"]["en"]
    assert (answer["issuer"], answer["version"], answer["rejection"]) == ("CN-33", "domestic", None)
    assert answer["venue"]["id"] == "mall"
    assert answer["alternatives"]  # the code is never the only way in (S4)
    for personal in (GREEN.id_number, "张小三", "13912345678", "vaccin", "疫苗"):
        assert personal not in str(answer)


def test_red_code_is_denied_at_a_venue_that_checks__M5(
    client: TestClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    answer = verify(client, staff, code_for(runtime, RED))
    assert (answer["decision"], answer["colour"]) == ("deny", "red")
    assert "诊断" not in str(answer)
    assert "confirmed" not in str(answer)


def test_a_tampered_code_is_refused_with_the_other_ways_in__S4(
    client: TestClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    forged = tampered(code_for(runtime, GREEN))
    answer = verify(client, staff, forged)
    assert (answer["decision"], answer["rejection"]) == ("deny", "bad_signature")
    assert answer["colour"] is None
    assert answer["masked_name"] is None
    assert "S4" in answer["clauses"]
    assert "核酸" in answer["reason"]["zh"]
    # Where codes are not checked (S2), a bad code changes nothing.
    assert verify(client, staff, forged, "park")["decision"] == "not_checked"
    assert verify(client, staff, "HZ1:NOT A CODE")["rejection"] == "bad_encoding"


def test_an_expired_code_is_refused__S4(
    client: TestClient, runtime: Runtime, staff: dict[str, str], clock: ManualClock
) -> None:
    token = code_for(runtime, GREEN)
    clock.instant += timedelta(minutes=10)
    answer = verify(client, staff, token)
    assert (answer["decision"], answer["rejection"]) == ("deny", "expired")


def test_verifications_are_audited_with_their_purpose_and_counted__D2(
    client: TestClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    verify(client, staff, code_for(runtime, GREEN))
    verify(client, staff, "HZ1:NOT A CODE")
    with runtime.engine.connect() as connection:
        rows = connection.execute(
            select(audit_log.c.purpose, audit_log.c.object, audit_log.c.outcome).where(
                audit_log.c.action == "code.verify"
            )
        ).all()
    purpose = "verify a health code at a venue's entrance"
    assert [tuple(row) for row in rows] == [
        (purpose, "venue:mall", "allow"),
        (purpose, "venue:mall", "deny"),
    ]
    metrics = client.get("/metrics", headers=SCRAPER).text
    assert 'healthcode_verifications_total{outcome="allow"} 1.0' in metrics
    assert 'healthcode_verifications_total{outcome="rejected"} 1.0' in metrics


def test_an_unknown_venue_is_not_found(client: TestClient, staff: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/verify", headers=staff, json={"token": "HZ1:X", "venue_id": "elsewhere"}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def check(
    client: TestClient, headers: dict[str, str], flow: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = client.post(f"/api/v1/checkpoint/{flow}", headers=headers, json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def by_document(number: str, name: str = "王五", **extra: object) -> dict[str, object]:
    return {
        "id_type": "resident_id",
        "id_number": number,
        "name": name,
        "venue_id": "mall",
        **extra,
    }


def test_a_negative_test_of_the_last_7_days_admits_without_a_phone__S4(
    client: TestClient, staff: dict[str, str]
) -> None:
    answer = check(client, staff, "test", by_document(NO_PHONE.id_number, "赵桂英"))
    assert (answer["decision"], answer["method"], answer["masked_name"]) == (
        "allow",
        "test",
        "赵*英",
    )
    assert NO_PHONE.id_number not in str(answer)
    assert "赵桂英" not in str(answer)
    missing = check(client, staff, "test", by_document(STRANGER))
    assert missing["decision"] == "deny"
    assert "登记" in missing["reason"]["zh"]  # the other ways in are named


def test_registration_looks_up_the_colour_on_record__S4(
    client: TestClient, staff: dict[str, str]
) -> None:
    red = check(client, staff, "registration", by_document(RED.id_number, "李四"))
    assert (red["decision"], red["method"]) == ("deny", "registration")
    stranger = check(client, staff, "registration", by_document(STRANGER))
    assert stranger["decision"] == "allow"
    assert "A4" in stranger["clauses"]


def test_itinerary_card_showing_a_risk_area_refers_to_health_management__S4(
    client: TestClient, staff: dict[str, str]
) -> None:
    risky = check(client, staff, "itinerary", by_document(STRANGER, shows_risk_area=True))
    assert (risky["decision"], risky["method"]) == ("deny", "itinerary_card")
    clear = check(client, staff, "itinerary", by_document(STRANGER, shows_risk_area=False))
    assert clear["decision"] == "allow"


def test_a_signed_paper_certificate_admits_and_a_forged_one_does_not__S4(
    client: TestClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    with runtime.unit_of_work(Actor("clerk", "institution", "certificate")) as uow:
        register_institution(uow, "lingyin", "灵隐街道社区", InstitutionKind.COMMUNITY, "330106")
        text = issue_certificate(uow, "lingyin", NO_PHONE.key, Statement.LOW_RISK_RESIDENT).text
    answer = check(client, staff, "certificate", {"certificate": text, "venue_id": "mall"})
    assert (answer["decision"], answer["method"], answer["masked_name"]) == (
        "allow",
        "certificate",
        "赵*英",
    )
    forged = check(client, staff, "certificate", {"certificate": text[:-4], "venue_id": "mall"})
    assert forged["decision"] == "deny"


def test_a_bad_document_number_is_refused_without_echoing_it__D2(
    client: TestClient, staff: dict[str, str]
) -> None:
    wrong = STRANGER[:-1] + ("0" if STRANGER[-1] != "0" else "1")
    response = client.post("/api/v1/checkpoint/test", headers=staff, json=by_document(wrong))
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "id_number"
    assert wrong not in response.text

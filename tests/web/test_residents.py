"""The resident API: applying for oneself and family, showing, printing, symptoms, unbinding."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import ManualClock, diagnosis, march, operator, resident_id
from e2e.browser import png_grey_pixels as png_pixels
from healthcode.db.schema import audit_log, code_subjects
from healthcode.domain.areas import RiskLevel
from healthcode.domain.facts import Person
from healthcode.domain.identity import IdType
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.services.codes.trust import DatabaseTrust
from healthcode.services.codes.verification import verify_code
from healthcode.services.facts import record_facts
from healthcode.services.runtime import Runtime
from web_builders import SCRAPER, Callers, Headers, RouteCase, assert_access, on_register_as

QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

SELF_ID = resident_id(birth="19800808", seq="101")
PARENT_ID = resident_id(birth="19450303", seq="102")
OTHER_ID = resident_id(birth="19900909", seq="103")
SELF_NAME, PARENT_NAME = "张伟明", "张老太"
NOBODY = "00000000-0000-4000-8000-000000000000"
RESIDENT = frozenset({Role.RESIDENT})
APPEAL = {"category": "wrong_colour", "text": "我没有症状，为什么是黄码？"}

ROUTES = [
    RouteCase("GET", "/api/v1/me/people", RESIDENT),
    RouteCase(
        "POST",
        "/api/v1/applications",
        RESIDENT,
        {"id_type": "resident_id", "id_number": OTHER_ID, "name": "李四"},
    ),
    RouteCase("DELETE", f"/api/v1/me/people/{NOBODY}", RESIDENT),
    RouteCase("GET", f"/api/v1/codes/{NOBODY}", RESIDENT),
    RouteCase("POST", f"/api/v1/codes/{NOBODY}/paper", RESIDENT),
    RouteCase("POST", f"/api/v1/codes/{NOBODY}/symptoms", RESIDENT, {"symptoms": ["fever"]}),
    RouteCase("POST", f"/api/v1/codes/{NOBODY}/appeal", RESIDENT, APPEAL),
    RouteCase("GET", f"/api/v1/codes/{NOBODY}/appeals", RESIDENT),
]


@pytest.mark.parametrize("case", ROUTES, ids=lambda case: f"{case.method} {case.path}")
def test_only_residents_reach_their_routes__D2(access_callers: Callers, case: RouteCase) -> None:
    assert_access(access_callers, case)


def apply_self(client: TestClient, headers: Headers, number: str = SELF_ID) -> dict[str, Any]:
    body = {"id_type": "resident_id", "id_number": number, "name": SELF_NAME}
    on_register_as(client, headers, body)
    response = client.post("/api/v1/applications", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def apply_parent(client: TestClient, headers: Headers, **changes: object) -> Any:
    body = {
        "relationship": "parent",
        "id_type": "resident_id",
        "id_number": PARENT_ID,
        "name": PARENT_NAME,
        "consent": True,
    } | changes
    on_register_as(client, headers, body, callers_phone=False)
    return client.post("/api/v1/applications", json=body, headers=headers)


def household(client: TestClient, callers: Callers) -> tuple[Headers, str, str]:
    headers = callers.resident()
    own = apply_self(client, headers)["person_id"]
    parent = apply_parent(client, headers)
    assert parent.status_code == 201, parent.text
    return headers, own, parent.json()["person_id"]


def audit_actions(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.engine.connect() as connection:
        rows = connection.execute(select(audit_log.c.action, audit_log.c.outcome))
        return [(row.action, row.outcome) for row in rows]


def test_resident_applies_for_self_and_parent_and_sees_both__A1_S3(
    client: TestClient, callers: Callers
) -> None:
    headers, own, parent = household(client, callers)
    people = client.get("/api/v1/me/people", headers=headers)
    assert people.status_code == 200
    shown = people.json()["people"]
    assert [(p["person_id"], p["relationship"]) for p in shown] == [
        (own, "self"),
        (parent, "parent"),
    ]
    assert {p["colour"] for p in shown} == {"green"}
    for name, number in [(SELF_NAME, SELF_ID), (PARENT_NAME, PARENT_ID)]:
        assert name not in people.text
        assert number not in people.text
    assert shown[1]["name"].startswith("张")
    assert "*" in shown[1]["name"]


def test_application_says_who_applied_for_whom__A1(client: TestClient, callers: Callers) -> None:
    headers = callers.resident()
    apply_self(client, headers)
    taken = apply_parent(client, headers).json()
    assert taken["relationship"] == "child"  # the applicant is the parent's child (domain)
    assert taken["channel"] == "web"
    assert taken["applicant"]["id_number"] != SELF_ID
    assert PARENT_ID not in str(taken)
    assert PARENT_NAME not in str(taken)


def test_family_member_needs_consent__S3(client: TestClient, callers: Callers) -> None:
    headers = callers.resident()
    apply_self(client, headers)
    refused = apply_parent(client, headers, consent=False)
    assert refused.status_code == 422
    assert refused.json()["error"] == {
        "code": "consent_required",
        "message": "为家人代办须先取得其同意。",
        "field": "consent",
    }


def test_family_member_needs_the_holder_on_record_first__A1(
    client: TestClient, callers: Callers
) -> None:
    refused = apply_parent(client, callers.resident())
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "self_first"


def test_one_document_is_one_account_s_self__A1(client: TestClient, callers: Callers) -> None:
    first_phone = "13912300001"
    first, second = callers.resident(first_phone), callers.resident()
    apply_self(client, first)
    body = {"id_type": "resident_id", "id_number": SELF_ID, "name": SELF_NAME}
    # Another phone claiming the document waits for the code sent to the phone on record (A1)...
    pending = client.post("/api/v1/applications", json=body, headers=second)
    assert pending.status_code == 202, pending.text
    # ...and only once proven is it told that the document is held elsewhere.
    code = {"code": callers.last_code(first_phone)}
    confirm = f"/api/v1/applications/{pending.json()['reference']}/confirm"
    refused = client.post(confirm, json=code, headers=second)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "self_bound_elsewhere"
    other = body | {"id_number": OTHER_ID}
    again = client.post("/api/v1/applications", json=other, headers=first)
    assert again.json()["error"]["code"] == "self_already_bound"
    # Applying again with the same document is fine: the account keeps one self.
    assert apply_self(client, first)["person_id"]


def test_a_bad_document_number_is_refused_without_echo__D2(
    client: TestClient, callers: Callers
) -> None:
    body = {"id_type": "resident_id", "id_number": SELF_ID[:-1] + "0", "name": SELF_NAME}
    if body["id_number"] == SELF_ID:
        body["id_number"] = SELF_ID[:-1] + "1"
    refused = client.post("/api/v1/applications", json=body, headers=callers.resident())
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "id_number"
    assert body["id_number"] not in refused.text


def test_mainland_resident_is_refused_the_international_version_audited__A8(
    client: TestClient, callers: Callers, runtime: Runtime
) -> None:
    body = {"id_type": "resident_id", "id_number": SELF_ID, "name": SELF_NAME}
    body["version"] = "international"
    headers = callers.resident()
    on_register_as(client, headers, body)
    refused = client.post("/api/v1/applications", json=body, headers=headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "version_refused"
    assert ("code.apply", "refused") in audit_actions(runtime)


def test_passport_holder_gets_the_international_version_in_english__A8(
    client: TestClient, callers: Callers
) -> None:
    headers = callers.resident()
    body = {"id_type": "passport", "id_number": "E12345678", "name": "Marie Curie"}
    on_register_as(client, headers, body)
    taken = client.post("/api/v1/applications", json=body, headers=headers)
    assert taken.status_code == 201, taken.text
    code = client.get(f"/api/v1/codes/{taken.json()['person_id']}", headers=headers).json()
    assert code["version"] == "international"
    assert code["guidance"]["en"].startswith("Green")


def decoded(data_uri: str) -> str:
    png = base64.b64decode(data_uri.removeprefix("data:image/png;base64,"))
    width, height, pixels = png_pixels(png)
    image = memoryview(pixels).cast("B", (height, width))
    # Only QR codes: a stray pattern in the modules can read as a linear barcode now and then.
    (scanned,) = zxingcpp.read_barcodes(image, formats=QR_ONLY)
    return str(scanned.text)


def test_code_qr_scans_to_a_token_that_verifies__A1_S1(
    client: TestClient, callers: Callers, runtime: Runtime
) -> None:
    headers, own, _ = household(client, callers)
    response = client.get(f"/api/v1/codes/{own}?qr=png", headers=headers)
    assert response.status_code == 200
    code = response.json()
    assert decoded(code["qr_png"]) == code["token"]
    assert (code["colour"], code["medium"], code["version"]) == ("green", "phone", "domestic")
    assert datetime.fromisoformat(code["expires_at"]) == march(20) + timedelta(minutes=5)
    assert SELF_NAME not in response.text
    assert SELF_ID not in response.text
    with runtime.unit_of_work(operator("checkpoint", "code_verification")) as uow:
        verified = verify_code(
            code["token"],
            trust=DatabaseTrust(uow),
            venue=Venue.STATION,
            area_risk=RiskLevel.MEDIUM,
            now=uow.now,
        )
    assert verified.as_json()["decision"] == "allow"


def test_red_code_says_why_what_turns_it_green_and_the_measure__A2_M1(
    client: TestClient, callers: Callers, runtime: Runtime
) -> None:
    headers, _, parent = household(client, callers)
    fact = diagnosis("confirmed", march(20, 11), Person(IdType.RESIDENT_ID, PARENT_ID))
    with runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [fact])
    code = client.get(f"/api/v1/codes/{parent}", headers=headers).json()
    assert code["colour"] == "red"
    assert code["measure"]["code"] == "hospital_treatment"
    assert "点对点" in code["measure"]["text"]["zh"]
    (reason,) = code["reasons"]
    assert (reason["rule"], reason["clause"]) == ("red-confirmed", "A2")
    assert reason["reason"] == {"zh": "确诊病例", "en": "Confirmed case"}
    assert reason["to_green"]["zh"]
    assert reason["to_green"]["en"]


def test_self_reported_symptoms_turn_the_code_yellow_until_resolved__A3_M4(
    client: TestClient, callers: Callers, clock: ManualClock
) -> None:
    headers, _, parent = household(client, callers)
    path = f"/api/v1/codes/{parent}/symptoms"
    reported = client.post(path, json={"symptoms": ["fever", "respiratory"]}, headers=headers)
    assert reported.status_code == 200, reported.text
    assert (reported.json()["previous_colour"], reported.json()["colour"]) == ("green", "yellow")
    assert [r["rule"] for r in reported.json()["reasons"]] == ["yellow-symptoms"]
    assert client.get(f"/api/v1/codes/{parent}", headers=headers).json()["colour"] == "yellow"
    clock.instant += timedelta(days=2)
    resolved = client.post(path, json={"action": "resolved"}, headers=headers)
    assert resolved.json()["colour"] == "green"


def test_a_report_names_a_symptom__A3(client: TestClient, callers: Callers) -> None:
    headers, own, _ = household(client, callers)
    empty = client.post(f"/api/v1/codes/{own}/symptoms", json={"symptoms": []}, headers=headers)
    assert empty.status_code == 422


def subjects_on_record(runtime: Runtime) -> int:
    with runtime.engine.connect() as connection:
        return len(connection.execute(select(code_subjects.c.subject)).all())


def test_a_refresh_reuses_the_code_until_half_its_validity_or_a_new_colour__A1_D2(
    client: TestClient, callers: Callers, runtime: Runtime, clock: ManualClock
) -> None:
    """Refreshing writes no pseudonym and signs nothing; the device draws the QR (no PNG sent)."""
    headers, own, parent = household(client, callers)
    first = client.get(f"/api/v1/codes/{own}", headers=headers).json()
    assert "qr_png" not in first
    pseudonyms = subjects_on_record(runtime)
    clock.instant += timedelta(minutes=2)
    again = client.get(f"/api/v1/codes/{own}", headers=headers).json()
    assert (again["token"], again["issued_at"]) == (first["token"], first["issued_at"])
    assert subjects_on_record(runtime) == pseudonyms
    other = client.get(f"/api/v1/codes/{parent}", headers=headers).json()
    assert other["token"] != first["token"]  # one code per person, never shared
    clock.instant += timedelta(seconds=31)  # past half of the 5 minutes: a fresh pseudonym
    later = client.get(f"/api/v1/codes/{own}", headers=headers).json()
    assert later["token"] != first["token"]
    assert subjects_on_record(runtime) == pseudonyms + 2
    reported = client.post(
        f"/api/v1/codes/{own}/symptoms", json={"symptoms": ["fever"]}, headers=headers
    )
    assert reported.status_code == 200
    yellow = client.get(f"/api/v1/codes/{own}", headers=headers).json()
    assert yellow["colour"] == "yellow"
    assert yellow["token"] != later["token"]  # the colour changed: a new code at once
    assert ("code.issue", "ok") in audit_actions(runtime)[-1:]  # every show is still audited


def test_paper_code_is_valid_for_days__S4(client: TestClient, callers: Callers) -> None:
    headers, _, parent = household(client, callers)
    paper = client.post(f"/api/v1/codes/{parent}/paper", headers=headers)
    assert paper.status_code == 200
    shown = paper.json()
    assert shown["medium"] == "paper"
    assert datetime.fromisoformat(shown["expires_at"]) == march(20) + timedelta(days=7)
    assert decoded(shown["qr_png"]) == shown["token"]


def test_another_resident_cannot_reach_my_family_by_id__D2(
    client: TestClient, callers: Callers
) -> None:
    _, own, parent = household(client, callers)
    stranger = callers.resident()
    for person_id in (own, parent):
        attempts = [
            client.get(f"/api/v1/codes/{person_id}", headers=stranger),
            client.post(f"/api/v1/codes/{person_id}/paper", headers=stranger),
            client.post(
                f"/api/v1/codes/{person_id}/symptoms",
                json={"symptoms": ["fever"]},
                headers=stranger,
            ),
            client.post(f"/api/v1/codes/{person_id}/appeal", json=APPEAL, headers=stranger),
            client.get(f"/api/v1/codes/{person_id}/appeals", headers=stranger),
            client.delete(f"/api/v1/me/people/{person_id}", headers=stranger),
        ]
        for attempt in attempts:
            assert attempt.status_code == 404, attempt.request.url
            assert attempt.json()["error"]["code"] == "not_found"


def test_family_member_is_unbound_and_the_holder_is_not__S3(
    client: TestClient, callers: Callers, runtime: Runtime
) -> None:
    headers, own, parent = household(client, callers)
    assert client.delete(f"/api/v1/me/people/{own}", headers=headers).status_code == 409
    assert client.delete(f"/api/v1/me/people/{parent}", headers=headers).status_code == 204
    people = client.get("/api/v1/me/people", headers=headers).json()["people"]
    assert [p["person_id"] for p in people] == [own]
    assert client.get(f"/api/v1/codes/{parent}", headers=headers).status_code == 404
    assert ("household.unlink", "ok") in audit_actions(runtime)
    # Bound again later, with consent again.
    assert apply_parent(client, headers).json()["person_id"] == parent


def test_codes_shown_are_counted_by_colour__S5(client: TestClient, callers: Callers) -> None:
    headers, own, _ = household(client, callers)
    client.get(f"/api/v1/codes/{own}", headers=headers)
    metrics = client.get("/metrics", headers=SCRAPER).text
    assert 'healthcode_codes_shown_total{colour="green"}' in metrics


def test_an_appeal_from_the_code_page_is_filed_and_audited__S6(
    client: TestClient, callers: Callers, runtime: Runtime
) -> None:
    headers, own, _ = household(client, callers)
    response = client.post(f"/api/v1/codes/{own}/appeal", json=APPEAL, headers=headers)
    assert response.status_code == 201, response.text
    filed = response.json()
    assert (filed["region"], filed["tier"], filed["merged"]) == ("330106", "county", False)
    assert ("appeal.file", "ok") in audit_actions(runtime)
    blank = client.post(f"/api/v1/codes/{own}/appeal", json=APPEAL | {"text": " "}, headers=headers)
    assert (blank.status_code, blank.json()["error"]["field"]) == (422, "text")

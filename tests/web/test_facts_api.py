"""Department systems submit facts over HTTP (S5, D1): the importer's rules, report, idempotency."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import diagnosis, fact, march, nucleic_acid, operator, person, trip
from healthcode.db.schema import audit_log
from healthcode.domain.facts import Action, HealthMonitoring, PersonKey
from healthcode.domain.roles import Role
from healthcode.exchange.writer import fact_record
from healthcode.services.runtime import Runtime
from healthcode.services.status import code_status
from healthcode.web import batches
from web_builders import SCRAPER, Callers, RouteCase, assert_access

ROUTES = [RouteCase("POST", "/api/v1/facts", frozenset({Role.DEPARTMENT}), [])]
BAD_ID = "330106198001011239"  # a resident ID number whose check digit is wrong


@pytest.mark.parametrize("case", ROUTES, ids=lambda case: f"{case.method} {case.path}")
def test_only_department_clients_submit_facts__D2(access_callers: Callers, case: RouteCase) -> None:
    assert_access(access_callers, case)


def colour_of(runtime: Runtime, key: PersonKey) -> str | None:
    with runtime.unit_of_work(operator()) as uow:
        status = code_status(uow, key)
    return None if status is None or status.state is None else status.state.colour


def with_bad_id(record: dict[str, object]) -> dict[str, object]:
    return record | {"person": {"id_type": "resident_id", "id_number": BAD_ID}}


def test_a_batch_is_reported_like_the_importer_and_never_echoes_values__S5(
    callers: Callers, client: TestClient
) -> None:
    sender = callers.department("diagnosis", "test")
    good = fact_record(diagnosis("confirmed", march(20, 9)))
    negative = fact_record(nucleic_acid("negative", march(19, 9)))
    batch = [good, good, with_bad_id(negative), negative | {"result": "unclear"}]
    response = client.post("/api/v1/facts", headers=sender, json=batch)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["accepted"], report["duplicates"]) == (1, 1)
    assert [(r["location"], r["field"]) for r in report["rejected"]] == [
        ("item 3", "person.id_number"),
        ("item 4", "result"),
    ]
    assert all(r["reason"] for r in report["rejected"])
    assert BAD_ID not in response.text
    assert "unclear" not in response.text
    again = client.post("/api/v1/facts", headers=sender, json=batch[:2]).json()
    assert (again["accepted"], again["duplicates"], again["rejected"]) == (0, 2, [])


def test_the_same_event_id_with_other_content_is_rejected_by_location__S5(
    callers: Callers, client: TestClient
) -> None:
    sender = callers.department("diagnosis")
    first = fact_record(diagnosis("suspected", march(20, 9)))
    client.post("/api/v1/facts", headers=sender, json=[first])
    changed = first | {"status": "excluded"}
    report = client.post("/api/v1/facts", headers=sender, json=[changed]).json()
    assert report["accepted"] == 0
    assert [(r["location"], r["event_id"], r["field"]) for r in report["rejected"]] == [
        ("item 1", first["event_id"], "event_id")
    ]


def test_a_client_sends_only_its_registered_categories__D1(
    callers: Callers, client: TestClient, runtime: Runtime
) -> None:
    laboratory = callers.department("test")
    result = nucleic_acid("negative", march(19, 9))
    journey = replace(trip("330106", march(18, 9)), person=person(2))
    batch = [fact_record(journey), fact_record(result)]
    report = client.post("/api/v1/facts", headers=laboratory, json=batch).json()
    assert report["accepted"] == 1
    assert [(r["location"], r["field"]) for r in report["rejected"]] == [("item 1", "type")]
    assert "not registered" in report["rejected"][0]["reason"]
    assert colour_of(runtime, result.person.key) == "green"
    assert colour_of(runtime, journey.person.key) is None  # nothing of the refused record stored


def test_a_confirmed_diagnosis_turns_the_person_red_before_the_answer__S5(
    callers: Callers, client: TestClient, runtime: Runtime
) -> None:
    confirmed = diagnosis("confirmed", march(20, 9))
    report = client.post(
        "/api/v1/facts", headers=callers.department("diagnosis"), json=[fact_record(confirmed)]
    ).json()
    assert (report["accepted"], report["reevaluated"]) == (1, 1)
    assert colour_of(runtime, confirmed.person.key) == "red"


def test_submissions_are_audited_for_the_clients_declared_purpose__D1(
    callers: Callers, client: TestClient, runtime: Runtime
) -> None:
    sender = callers.department("health_monitoring", purpose="daily health monitoring")
    record = fact_record(fact(HealthMonitoring(Action.START), march(20, 9)))
    client.post("/api/v1/facts", headers=sender, json=[record, {"type": "trip"}])
    with runtime.engine.connect() as connection:
        rows = connection.execute(
            select(audit_log.c.action, audit_log.c.actor, audit_log.c.purpose, audit_log.c.outcome)
            .where(audit_log.c.action.in_(["facts.record", "facts.submit"]))
            .order_by(audit_log.c.seq)
        ).all()
    assert [(row.action, row.purpose, row.outcome) for row in rows] == [
        ("facts.record", "daily health monitoring", "ok"),
        ("facts.submit", "daily health monitoring", "partial"),
    ]
    assert all(row.actor.startswith("client:") for row in rows)


def test_rejected_records_are_counted_in_the_metrics__S5(
    callers: Callers, client: TestClient
) -> None:
    sender = callers.department("test")
    client.post("/api/v1/facts", headers=sender, json=[{"type": "test"}, {}, 3])
    scraped = client.get("/metrics", headers=SCRAPER).text
    found = re.search(r"^healthcode_fact_rejects_total (\S+)$", scraped, re.MULTILINE)
    assert found is not None
    assert float(found.group(1)) == 3.0


def test_json_lines_are_read_with_line_numbers__S5(callers: Callers, client: TestClient) -> None:
    lines = [
        json.dumps(fact_record(nucleic_acid("negative", march(19, 9)))),
        "not json",
        "",
        json.dumps({"type": "test"}),
    ]
    response = client.post(
        "/api/v1/facts",
        headers=callers.department("test") | {"Content-Type": "application/x-ndjson"},
        content="\n".join(lines).encode(),
    )
    report = response.json()
    assert report["accepted"] == 1
    assert [r["location"] for r in report["rejected"]] == ["line 2", "line 4"]


def test_unreadable_and_oversized_batches_are_refused_whole__S5(
    callers: Callers, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = callers.department("test")
    not_array = client.post("/api/v1/facts", headers=sender, json={"type": "test"})
    assert not_array.status_code == 400
    assert not_array.json()["error"]["code"] == "unreadable_batch"
    not_utf8 = client.post(
        "/api/v1/facts", headers=sender | {"Content-Type": "application/json"}, content=b"[\xff]"
    )
    assert not_utf8.status_code == 400
    too_many = client.post("/api/v1/facts", headers=sender, json=[{}] * (batches.MAX_RECORDS + 1))
    assert too_many.status_code == 413
    assert too_many.json()["error"]["code"] == "batch_too_large"
    monkeypatch.setattr(batches, "MAX_BODY_BYTES", 100)
    too_big = client.post("/api/v1/facts", headers=sender, json=[{"padding": "x" * 200}])
    assert too_big.status_code == 413


def test_the_batch_body_is_described_in_the_openapi_document__S5(client: TestClient) -> None:
    described = client.get("/openapi.json").json()["paths"]["/api/v1/facts"]["post"]
    schema = described["requestBody"]["content"]["application/json"]["schema"]
    assert (schema["type"], schema["maxItems"]) == ("array", batches.MAX_RECORDS)

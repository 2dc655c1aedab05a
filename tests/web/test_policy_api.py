"""Risk areas, severe designations and rulesets over HTTP (A5, A6, A7, M1): who may change policy,
and how a change reaches the codes (draft → dry run → approval by a second person → new colour)."""

from __future__ import annotations

import copy
import json
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import fact, march, operator, trip
from healthcode.db.schema import audit_log
from healthcode.domain.facts import Action, HealthMonitoring, PersonKey
from healthcode.domain.roles import Role
from healthcode.exchange.writer import fact_record
from healthcode.rulesets import read_ruleset_document
from healthcode.services.rulesets import draft_ruleset
from healthcode.services.runtime import Actor, Runtime
from healthcode.services.status import code_status
from web_builders import Callers, Headers, RouteCase, assert_access

DEFAULT_FILE = Path(__file__).parents[2] / "src/healthcode/rulesets/zhejiang-2021-36.yaml"
READERS = frozenset({Role.RULE_AUTHOR, Role.RULE_APPROVER, Role.SYSTEM_ADMIN, Role.AUDITOR})
APPROVER = frozenset({Role.RULE_APPROVER})
AUTHOR = frozenset({Role.RULE_AUTHOR})

ROUTES = [
    RouteCase("PUT", "/api/v1/risk-areas", APPROVER, []),
    RouteCase("PUT", "/api/v1/severe-designations", APPROVER, []),
    RouteCase("GET", "/api/v1/risk-areas", READERS),
    RouteCase("GET", "/api/v1/severe-designations", READERS),
    RouteCase("GET", "/api/v1/rulesets", READERS),
    RouteCase("GET", "/api/v1/rulesets/zhejiang-2021-36/9.9.9", READERS),
    RouteCase("POST", "/api/v1/rulesets", AUTHOR, {}),
    RouteCase("POST", "/api/v1/rulesets/dry-run", AUTHOR | APPROVER, {}),
    RouteCase("POST", "/api/v1/rulesets/zhejiang-2021-36/9.9.9/approval", APPROVER),
    RouteCase("GET", "/api/v1/rulesets/activations/999", READERS),
    RouteCase("GET", "/api/v1/area-jobs/999", READERS),
]


@pytest.mark.parametrize("case", ROUTES, ids=lambda case: f"{case.method} {case.path}")
def test_only_the_policy_roles_reach_the_policy_routes__D2(
    access_callers: Callers, case: RouteCase
) -> None:
    assert_access(access_callers, case)


def activation_finished(client: TestClient, caller: Headers, job: int) -> dict[str, Any]:
    """The activation job's progress once it has finished (it runs in a thread of the server)."""
    return _finished(client, caller, f"/api/v1/rulesets/activations/{job}")


def area_job_finished(client: TestClient, caller: Headers, job: int) -> dict[str, Any]:
    """An area change's job once it has finished (it runs in a thread of the server)."""
    return _finished(client, caller, f"/api/v1/area-jobs/{job}")


def _finished(client: TestClient, caller: Headers, path: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        progress: dict[str, Any] = client.get(path, headers=caller).json()
        if progress["finished"]:
            return progress
        assert time.monotonic() < deadline, f"the job at {path} did not finish"
        time.sleep(0.05)


def candidate(version: str = "1.2.0") -> dict[str, Any]:
    """The default ruleset with persons under health monitoring (M5) yellow, from March 20th."""
    document = copy.deepcopy(read_ruleset_document(DEFAULT_FILE))
    monitored = next(rule for rule in document["rules"] if rule["id"] == "flag-health-monitoring")
    yellow = {key: value for key, value in monitored.items() if key != "flag"}
    document["rules"].append(yellow | {"id": "yellow-health-monitoring", "color": "yellow"})
    document |= {"version": version, "valid_from": "2021-03-20T00:00:00+08:00"}
    as_json: dict[str, Any] = json.loads(json.dumps(document, default=_iso))
    return as_json


def _iso(value: object) -> str:
    assert isinstance(value, date)
    return value.isoformat()


def colour_of(runtime: Runtime, key: PersonKey) -> str | None:
    with runtime.unit_of_work(operator()) as uow:
        status = code_status(uow, key)
    return None if status is None or status.state is None else status.state.colour


def submit(client: TestClient, sender: Headers, *records: dict[str, object]) -> None:
    response = client.post("/api/v1/facts", headers=sender, json=list(records))
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == []


def test_a_ruleset_is_drafted_dry_run_approved_by_another_and_changes_a_code__M1(
    callers: Callers, client: TestClient, runtime: Runtime
) -> None:
    monitored = fact(HealthMonitoring(Action.START), march(20, 9))
    submit(client, callers.department("health_monitoring"), fact_record(monitored))
    assert colour_of(runtime, monitored.person.key) == "green"
    author, approver = callers.staff(Role.RULE_AUTHOR), callers.staff(Role.RULE_APPROVER)

    drafted = client.post("/api/v1/rulesets", headers=author, json=candidate())
    assert drafted.status_code == 201, drafted.text
    assert (drafted.json()["status"], drafted.json()["approved_by"]) == ("draft", None)
    impact = client.post("/api/v1/rulesets/dry-run", headers=author, json=candidate()).json()
    assert impact["changes"] == [{"from": "green", "to": "yellow", "count": 1}]
    assert impact["by_region"] == {"3301": [{"from": "green", "to": "yellow", "count": 1}]}
    assert colour_of(runtime, monitored.person.key) == "green"  # a dry run changes nothing

    approved = client.post("/api/v1/rulesets/zhejiang-2021-36/1.2.0/approval", headers=approver)
    assert approved.status_code == 200, approved.text
    answer = approved.json()
    # The approval answers at once; the activation job runs in the background.
    assert (answer["status"], answer["activated"]) == ("active", True)
    assert answer["activation"]["partitions"] >= 1
    activation = activation_finished(client, approver, answer["activation"]["job"])
    assert (activation["ruleset"], activation["evaluated"], activation["changed"]) == (
        "zhejiang-2021-36@1.2.0",
        1,
        1,
    )
    assert activation["partitions_done"] == activation["partitions"]
    assert colour_of(runtime, monitored.person.key) == "yellow"
    listed = client.get("/api/v1/rulesets", headers=approver).json()["rulesets"]
    assert [(r["version"], r["status"]) for r in listed] == [("1.2.0", "active")]
    shown = client.get("/api/v1/rulesets/zhejiang-2021-36/1.2.0", headers=author).json()
    assert shown["document"]["rules"][-1]["id"] == "yellow-health-monitoring"


def test_the_author_cannot_approve_their_own_draft_and_the_refusal_is_audited__M1(
    callers: Callers, client: TestClient, runtime: Runtime
) -> None:
    # Roles are held by different accounts; should one person still have drafted under the name
    # they approve with (a changed role, the command line), the approval itself refuses them.
    approver = callers.staff(Role.RULE_APPROVER)
    name = client.get("/api/v1/auth/me", headers=approver).json()["label"]
    with runtime.unit_of_work(Actor(name, "rule_author", "ruleset_draft")) as uow:
        draft_ruleset(uow, candidate())
    refused = client.post("/api/v1/rulesets/zhejiang-2021-36/1.2.0/approval", headers=approver)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "second_person_required"
    with runtime.engine.connect() as connection:
        outcomes = connection.execute(
            select(audit_log.c.outcome).where(audit_log.c.action == "ruleset.approve")
        ).scalars()
        assert list(outcomes) == ["refused"]
    second = callers.staff(Role.RULE_APPROVER)
    url = "/api/v1/rulesets/zhejiang-2021-36/1.2.0/approval"
    assert client.post(url, headers=second).status_code == 200
    again = client.post(url, headers=callers.staff(Role.RULE_APPROVER))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_approved")


def test_a_later_version_waits_for_its_valid_from__A5(callers: Callers, client: TestClient) -> None:
    author, approver = callers.staff(Role.RULE_AUTHOR), callers.staff(Role.RULE_APPROVER)
    later = candidate() | {"valid_from": "2021-04-01T00:00:00+08:00"}
    client.post("/api/v1/rulesets", headers=author, json=later)
    answer = client.post(
        "/api/v1/rulesets/zhejiang-2021-36/1.2.0/approval", headers=approver
    ).json()
    assert (answer["status"], answer["activated"], answer["codes_changed"]) == (
        "approved",
        False,
        0,
    )
    assert answer["activation"] is None


def test_invalid_rulesets_and_unknown_versions_are_answered_in_the_one_shape__A5(
    callers: Callers, client: TestClient
) -> None:
    author = callers.staff(Role.RULE_AUTHOR)
    broken = client.post("/api/v1/rulesets", headers=author, json=candidate() | {"rules": []})
    assert broken.status_code == 422
    assert broken.json()["error"]["code"] == "invalid_ruleset"
    assert broken.json()["error"]["field"] == "rules"
    client.post("/api/v1/rulesets", headers=author, json=candidate())
    twice = client.post("/api/v1/rulesets", headers=author, json=candidate())
    assert (twice.status_code, twice.json()["error"]["field"]) == (422, "version")
    missing = client.get("/api/v1/rulesets/zhejiang-2021-36/7.0.0", headers=author)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    unknown = client.post(
        "/api/v1/rulesets/nope/1/approval", headers=callers.staff(Role.RULE_APPROVER)
    )
    assert unknown.status_code == 404


def test_a_high_risk_area_reaches_those_who_stayed_there_and_is_listed__A6(
    callers: Callers, client: TestClient, runtime: Runtime
) -> None:
    stay = trip("330106", march(18, 9), until=march(19, 9))
    submit(client, callers.department("trip"), fact_record(stay))
    approver = callers.staff(Role.RULE_APPROVER)
    areas = [
        {"region": "330106", "level": "high", "effective_from": "2021-03-17T00:00:00+08:00"},
        {"region": "330106", "level": "severe", "effective_from": "2021-03-17T00:00:00+08:00"},
        {"region": "330500", "level": "medium", "effective_from": "2021-03-25T00:00:00+08:00"},
    ]
    report = client.put("/api/v1/risk-areas", headers=approver, json=areas).json()
    # Answered once recorded: the job re-evaluating the one person it reaches had not run yet.
    assert (report["accepted"], report["reevaluated"]) == (2, 0)
    assert [(r["location"], r["field"]) for r in report["rejected"]] == [("item 2", "level")]
    [job] = report["jobs"]
    assert (job["kind"], job["persons"], job["evaluated"], job["finished"]) == ("area", 1, 0, False)
    done = area_job_finished(client, approver, job["job"])
    assert (done["evaluated"], done["partitions_done"]) == (1, done["partitions"])
    assert colour_of(runtime, stay.person.key) != "green"
    again = client.put("/api/v1/risk-areas", headers=approver, json=areas[:1]).json()
    assert (again["accepted"], again["duplicates"]) == (0, 1)
    listed = client.get("/api/v1/risk-areas", headers=callers.staff(Role.AUDITOR)).json()
    assert [(a["region"], a["level"]) for a in listed["risk_areas"]] == [("330106", "high")]


def test_a_severe_designation_is_recorded_with_its_approval_and_listed__A7(
    callers: Callers, client: TestClient, runtime: Runtime
) -> None:
    stay = trip("330106", march(19, 9), until=march(19, 18))
    submit(client, callers.department("trip"), fact_record(stay))
    designation = {
        "designation_id": "SD-1",
        "region": "330106",
        "lookback_days": 14,
        "effective_from": "2021-03-20T00:00:00+08:00",
        "approved_by": "浙江省疫情防控工作领导小组",
        "assessment_ref": "浙卫评〔2021〕1号",
    }
    approver = callers.staff(Role.RULE_APPROVER)
    report = client.put("/api/v1/severe-designations", headers=approver, json=[designation])
    assert report.json()["accepted"] == 1
    [job] = report.json()["jobs"]
    assert (job["kind"], job["label"], job["finished"]) == ("severe", "severe:SD-1", False)
    assert area_job_finished(client, approver, job["job"])["changed"] == 1
    assert colour_of(runtime, stay.person.key) == "red"
    listed = client.get("/api/v1/severe-designations", headers=approver).json()
    assert [d["designation_id"] for d in listed["severe_designations"]] == ["SD-1"]

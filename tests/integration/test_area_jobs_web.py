"""A change of risk areas or severe designations over HTTP answers at once, on both databases
(the web tests run on SQLite only): the job that re-evaluates the persons it reaches runs after the
answer, and a worker (here, the test) finishing it turns their codes; the console follows it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from builders import march, operator, risk_area, trip
from healthcode.domain.facts import PersonKey
from healthcode.domain.roles import Role
from healthcode.exchange.writer import fact_record
from healthcode.services.areas import record_risk_areas
from healthcode.services.messages import OutboxSender
from healthcode.services.population_jobs import run_job, worker_name
from healthcode.services.runtime import Runtime
from healthcode.services.scheduled_round import run_round
from healthcode.services.status import code_status
from healthcode.web import create_app
from web_builders import Callers

SEVERE = {
    "designation_id": "SD-9",
    "region": "330106",
    "lookback_days": 14,
    "effective_from": "2021-03-20T00:00:00+08:00",
    "approved_by": "浙江省疫情防控工作领导小组",
    "assessment_ref": "浙卫评〔2021〕9号",
}


@pytest.fixture
def callers(runtime: Runtime) -> Iterator[Callers]:
    with TestClient(create_app(runtime.settings, runtime, OutboxSender())) as client:
        yield Callers(client, runtime)


def colour_of(runtime: Runtime, key: PersonKey) -> str | None:
    with runtime.unit_of_work(operator()) as uow:
        status = code_status(uow, key)
    return None if status is None or status.state is None else status.state.colour


def test_a_severe_designation_answers_before_its_job_and_the_job_turns_the_code__A7(
    callers: Callers, runtime: Runtime
) -> None:
    stay = trip("330106", march(19, 9), until=march(19, 18))
    sent = callers.client.post(
        "/api/v1/facts", headers=callers.department("trip"), json=[fact_record(stay)]
    )
    assert sent.status_code == 200, sent.text
    assert colour_of(runtime, stay.person.key) == "green"
    approver = callers.staff(Role.RULE_APPROVER)

    answer = callers.client.put("/api/v1/severe-designations", headers=approver, json=[SEVERE])

    assert answer.status_code == 200, answer.text
    report = answer.json()
    # The figures were read before the job was handed on: nobody had been re-evaluated.
    assert (report["accepted"], report["reevaluated"]) == (1, 0)
    [job] = report["jobs"]
    assert (job["kind"], job["persons"], job["evaluated"], job["finished"]) == (
        "severe",
        1,
        0,
        False,
    )
    # A worker shares the job with the server's background thread through the same claims.
    done = run_job(runtime, job["job"], worker_name("test"))
    assert (done.finished, done.evaluated, done.changed) == (True, 1, 1)
    assert colour_of(runtime, stay.person.key) == "red"
    progress = callers.client.get(f"/api/v1/area-jobs/{job['job']}", headers=approver).json()
    assert (progress["finished"], progress["label"]) == (True, "severe:SD-9")


def test_the_areas_page_shows_how_far_an_area_job_has_come__A6(
    callers: Callers, runtime: Runtime
) -> None:
    stay = trip("330106", march(18, 9), until=march(19, 9))
    sent = callers.client.post(
        "/api/v1/facts", headers=callers.department("trip"), json=[fact_record(stay)]
    )
    assert sent.status_code == 200, sent.text
    with runtime.unit_of_work(operator()) as uow:
        [job] = record_risk_areas(uow, [risk_area("330106", "high", march(17))]).jobs
    reader = callers.staff(Role.SYSTEM_ADMIN)

    started = callers.client.get("/console/areas", headers=reader).text
    english = callers.client.get("/console/areas?lang=en", headers=reader).text
    run_round(runtime)  # the scheduled round runs what the background did not
    finished = callers.client.get("/console/areas", headers=reader).text

    assert f'<li data-job="{job}" data-finished="false">' in started
    assert f'<progress id="area-job-{job}" max="1" value="0">' in started
    assert f'<label for="area-job-{job}">' in started
    assert "正在重新评估" in started
    assert "Re-evaluating: partitions" in english
    assert f'<li data-job="{job}" data-finished="true">' in finished
    assert f'<progress id="area-job-{job}" max="1" value="1">' in finished
    assert colour_of(runtime, stay.person.key) != "green"

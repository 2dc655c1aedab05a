"""The web application's main path on both databases (the web tests run on SQLite only): sign-in
for residents and staff, applying, showing a code, verifying it at a venue, the dashboard."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from builders import operator
from healthcode.domain.areas import RiskLevel
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.services.checkpoint.venues import register_venue
from healthcode.services.messages import OutboxSender
from healthcode.services.runtime import Runtime
from healthcode.web import create_app
from web_builders import Callers, on_register_as

SELF = {"id_type": "resident_id", "id_number": "330106198506122133", "name": "陈晓明"}


@pytest.fixture
def callers(runtime: Runtime) -> Iterator[Callers]:
    with TestClient(create_app(runtime.settings, runtime, OutboxSender())) as client:
        yield Callers(client, runtime)


def test_a_code_shown_to_a_resident_is_allowed_at_a_venue__A1_A6(
    callers: Callers, runtime: Runtime
) -> None:
    client = callers.client
    with runtime.unit_of_work(operator("system-admin")) as uow:
        register_venue(uow, "mall-1", "银泰商场", Venue.MALL, "330106", RiskLevel.MEDIUM)
    resident = callers.resident("13800000001")
    on_register_as(client, resident, SELF)
    applied = client.post("/api/v1/applications", json=SELF, headers=resident)
    assert applied.status_code == 201, applied.text
    code = client.get(f"/api/v1/codes/{applied.json()['person_id']}", headers=resident).json()
    assert code["colour"] == "green"

    checker = callers.staff(Role.CHECKPOINT)
    verified = client.post(
        "/api/v1/verify", json={"token": code["token"], "venue_id": "mall-1"}, headers=checker
    )
    assert verified.status_code == 200, verified.text
    assert (verified.json()["decision"], verified.json()["masked_name"]) == ("allow", "陈*明")

    dashboard = client.get("/api/v1/dashboard", headers=callers.staff(Role.AUDITOR)).json()
    assert dashboard["by_colour"]["green"] == "<5"  # one person: a small cell, never exact
    assert client.post("/api/v1/auth/sign-out", headers=resident).status_code == 204
    assert client.get("/api/v1/me/people", headers=resident).status_code == 401

"""Venues, scanner devices and signed scan reports over HTTP (M3, M5, S2, D2)."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import select

from healthcode.db.schema import audit_log, scans
from healthcode.domain.roles import Role
from healthcode.services.messages import OutboxSender
from healthcode.services.runtime import Runtime
from healthcode.tokens.jwk import public_jwk
from healthcode.tokens.scan_reports import ScanDecision, ScanRequest, sign_scan_request
from healthcode.web import create_app
from web_builders import SCRAPER, Callers, RouteCase, assert_access

READERS = frozenset({Role.SYSTEM_ADMIN, Role.CHECKPOINT, Role.AUDITOR})
ADMIN_ONLY = frozenset({Role.SYSTEM_ADMIN})
DEVICE_READERS = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})
DEVICE_ADMINS = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN})
DEVICE_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())
SUBJECT = "c3ViamVjdC1wc2V1ZG9ueW0"
MALL = {
    "id": "yintai",
    "name": "银泰百货",
    "category": "mall",
    "region": "330106",
    "area_risk": "medium",
}

ROUTES = [
    RouteCase("GET", "/api/v1/venues", READERS),
    RouteCase("POST", "/api/v1/venues", ADMIN_ONLY, {}),
    RouteCase("GET", "/api/v1/venues/nowhere", READERS),
    RouteCase("PATCH", "/api/v1/venues/nowhere", ADMIN_ONLY, {"area_risk": "high"}),
    RouteCase("GET", "/api/v1/venues/nowhere/devices", DEVICE_READERS),
    RouteCase("POST", "/api/v1/venues/nowhere/devices", DEVICE_ADMINS, {}),
    RouteCase("POST", "/api/v1/devices/none/flag-clearance", frozenset({Role.SECURITY_ADMIN})),
    RouteCase("POST", "/api/v1/scans", None, {}),
]


@pytest.mark.parametrize("case", ROUTES, ids=lambda case: f"{case.method} {case.path}")
def test_who_may_manage_venues_and_devices__D2(access_callers: Callers, case: RouteCase) -> None:
    assert_access(access_callers, case)


@pytest.fixture
def admin(callers: Callers) -> dict[str, str]:
    return callers.staff(Role.SYSTEM_ADMIN)


def register_scanner(client: TestClient, admin: dict[str, str], device_id: str = "gate-1") -> None:
    added = client.post("/api/v1/venues", headers=admin, json=MALL)
    assert added.status_code in {201, 422}, added.text  # 422: already there
    device = {"id": device_id, "public_jwk": public_jwk(DEVICE_KEY.public_key())}
    response = client.post("/api/v1/venues/yintai/devices", headers=admin, json=device)
    assert response.status_code == 201, response.text


def report(
    runtime: Runtime,
    device_id: str = "gate-1",
    key: ec.EllipticCurvePrivateKey = DEVICE_KEY,
    decision: ScanDecision = ScanDecision.ALLOW,
    skew: timedelta = timedelta(0),
) -> dict[str, str]:
    request = ScanRequest(device_id, runtime.clock.now() + skew, decision, subject=SUBJECT)
    signed = sign_scan_request(request, key)
    return {"device_id": device_id, "report": base64.urlsafe_b64encode(signed).decode()}


def test_venues_are_registered_listed_and_rated__S2(
    client: TestClient, callers: Callers, admin: dict[str, str]
) -> None:
    created = client.post("/api/v1/venues", headers=admin, json=MALL)
    assert created.status_code == 201
    assert created.json()["area_risk"] == "medium"
    changed = client.patch("/api/v1/venues/yintai", headers=admin, json={"area_risk": "low"})
    assert changed.json()["area_risk"] == "low"
    listed = client.get("/api/v1/venues", headers=callers.staff(Role.CHECKPOINT)).json()
    assert [(venue["id"], venue["area_risk"]) for venue in listed] == [("yintai", "low")]
    again = client.post("/api/v1/venues", headers=admin, json=MALL)
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "registration_refused"
    bad = client.post("/api/v1/venues", headers=admin, json={**MALL, "category": "castle"})
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "category")


def test_devices_are_registered_with_their_public_key_only__D2(
    client: TestClient, admin: dict[str, str]
) -> None:
    register_scanner(client, admin)
    listed = client.get("/api/v1/venues/yintai/devices", headers=admin).json()
    assert [(device["id"], device["flagged_at"]) for device in listed] == [("gate-1", None)]
    private = {**public_jwk(DEVICE_KEY.public_key()), "d": "c2VjcmV0"}
    refused = client.post(
        "/api/v1/venues/yintai/devices", headers=admin, json={"id": "gate-2", "public_jwk": private}
    )
    assert refused.status_code == 422
    elsewhere = client.post(
        "/api/v1/venues/nowhere/devices",
        headers=admin,
        json={"id": "gate-3", "public_jwk": public_jwk(DEVICE_KEY.public_key())},
    )
    assert elsewhere.status_code == 404


def test_a_signed_scan_is_recorded_and_counted__D2(
    client: TestClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    register_scanner(client, admin)
    response = client.post("/api/v1/scans", json=report(runtime))
    assert response.status_code == 200, response.text
    assert response.json() == {"recorded": "allow", "refusal": None}
    with runtime.engine.connect() as connection:
        stored = connection.execute(select(scans.c.device_id, scans.c.decision)).all()
    assert [tuple(row) for row in stored] == [("gate-1", "allow")]
    metrics = client.get("/metrics", headers=SCRAPER).text
    assert 'healthcode_verifications_total{outcome="allow"} 1.0' in metrics


@pytest.mark.parametrize(
    "tamper",
    [
        {"key": OTHER_KEY},  # not the device's key
        {"device_id": "gate-9"},  # not a registered device
        {"skew": timedelta(minutes=30)},  # a hoarded or replayed report
    ],
    ids=["bad signature", "unknown device", "stale"],
)
def test_a_report_not_signed_by_its_registered_device_is_refused__D2(
    client: TestClient, runtime: Runtime, admin: dict[str, str], tamper: dict[str, object]
) -> None:
    register_scanner(client, admin)
    response = client.post("/api/v1/scans", json=report(runtime, **tamper))  # type: ignore[arg-type]
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "scan_report_refused"
    with runtime.engine.connect() as connection:
        assert connection.execute(select(scans)).all() == []


def test_a_report_that_is_not_base64_is_invalid_input(client: TestClient) -> None:
    response = client.post("/api/v1/scans", json={"device_id": "gate-1", "report": "!!!"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "report"


@pytest.fixture
def strict_client(runtime: Runtime) -> Iterator[TestClient]:
    """The app with a limit of 3 scans a minute per device."""
    settings = dataclasses.replace(runtime.settings, scans_per_minute_limit=3)
    strict = dataclasses.replace(runtime, settings=settings)
    with TestClient(create_app(settings, strict, OutboxSender())) as client:
        yield client


def test_a_harvesting_device_is_throttled_until_a_security_admin_clears_it__D2(
    strict_client: TestClient, runtime: Runtime, callers: Callers
) -> None:
    admin = Callers(strict_client, runtime).staff(Role.SYSTEM_ADMIN)
    register_scanner(strict_client, admin)
    answers = [strict_client.post("/api/v1/scans", json=report(runtime)) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["error"]["code"] == "device_throttled"
    flagged = strict_client.get("/api/v1/venues/yintai/devices", headers=admin).json()
    assert flagged[0]["flag_reason"]
    security = Callers(strict_client, runtime).staff(Role.SECURITY_ADMIN)
    cleared = strict_client.post("/api/v1/devices/gate-1/flag-clearance", headers=security)
    assert cleared.status_code == 200
    assert cleared.json()["flagged_at"] is None
    unknown = strict_client.post("/api/v1/devices/gate-9/flag-clearance", headers=security)
    assert unknown.status_code == 404
    with runtime.engine.connect() as connection:
        actions = connection.scalars(select(audit_log.c.action)).all()
    assert "device.flag" in actions
    assert "device.clear" in actions

"""Administration over HTTP: staff and department clients (D1, D2), the audit log for auditors."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from builders import fact, march, operator, resident_id
from healthcode.db.audit_verify import HEAD_TYPE
from healthcode.db.schema import audit_log
from healthcode.domain.areas import RiskLevel
from healthcode.domain.facts import Person, Vaccination
from healthcode.domain.identity import IdType
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.security.totp import code_at
from healthcode.services.audit_seal import seal_audit_log
from healthcode.services.checkpoint.venues import register_venue
from healthcode.services.codes.issuing import issue_code
from healthcode.services.facts import record_facts
from healthcode.services.runtime import Runtime
from healthcode.tokens.jwk import public_key_from_jwk
from healthcode.tokens.jws import verify_jws
from web_builders import Callers, RouteCase, assert_access

SECURITY = frozenset({Role.SECURITY_ADMIN})
AUDITOR = frozenset({Role.AUDITOR})
CLIENT = {
    "id": "cdc-lab",
    "name": "杭州市疾控中心实验室",
    "department": "health",
    "categories": ["test"],
    "purpose": "report test results",
}

ROUTES = [
    RouteCase("GET", "/api/v1/admin/staff", SECURITY),
    RouteCase("POST", "/api/v1/admin/staff", SECURITY, {}),
    RouteCase("POST", "/api/v1/admin/staff/nobody/disable", SECURITY),
    RouteCase("GET", "/api/v1/admin/clients", SECURITY),
    RouteCase("POST", "/api/v1/admin/clients", SECURITY, {}),
    RouteCase("POST", "/api/v1/admin/clients/nobody/disable", SECURITY),
    RouteCase("GET", "/api/v1/audit", AUDITOR),
    RouteCase("GET", "/api/v1/audit/verification", AUDITOR),
    RouteCase("GET", "/api/v1/audit/heads", AUDITOR),
]


@pytest.mark.parametrize("case", ROUTES, ids=lambda case: f"{case.method} {case.path}")
def test_only_security_admins_manage_accounts_and_only_auditors_audit__D2(
    access_callers: Callers, case: RouteCase
) -> None:
    assert_access(access_callers, case)


@pytest.fixture
def security(callers: Callers) -> dict[str, str]:
    return callers.staff(Role.SECURITY_ADMIN)


def sign_in(client: TestClient, runtime: Runtime, created: dict[str, str]) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/staff",
        json={
            "username": created["username"],
            "password": created["password"],
            "one_time_password": code_at(created["totp_secret"], runtime.clock.now()),
        },
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_created_staff_sign_in_with_the_secrets_shown_once__D2(
    client: TestClient, runtime: Runtime, security: dict[str, str]
) -> None:
    body = {"username": "handler.xihu", "roles": ["local-handler"], "region": "330106"}
    response = client.post("/api/v1/admin/staff", headers=security, json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    uri = urlparse(created["otpauth_uri"])
    assert uri.scheme == "otpauth"
    assert parse_qs(uri.query)["secret"] == [created["totp_secret"]]
    headers = sign_in(client, runtime, created)
    me = client.get("/api/v1/auth/me", headers=headers).json()
    assert (me["roles"], me["region"]) == (["local-handler"], "330106")
    listed = client.get("/api/v1/admin/staff", headers=security).json()
    assert "handler.xihu" in [account["username"] for account in listed]
    # The secrets are never shown again.
    assert created["password"] not in str(listed)
    assert created["totp_secret"] not in str(listed)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"username": "both", "roles": ["auditor", "system-admin"]}, "different people"),
        ({"username": "both2", "roles": ["rule-author", "rule-approver"]}, "different people"),
        ({"username": "nowhere", "roles": ["local-handler"]}, "region"),
        ({"username": "citizen", "roles": ["resident"]}, "not a staff role"),
    ],
    ids=["auditor+system", "author+approver", "handler without region", "not a staff role"],
)
def test_roles_that_must_be_separated_are_refused__D2(
    client: TestClient, security: dict[str, str], body: dict[str, object], reason: str
) -> None:
    response = client.post("/api/v1/admin/staff?lang=en", headers=security, json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "account_refused"
    assert reason in error["message"]
    listed = client.get("/api/v1/admin/staff", headers=security).json()
    assert body["username"] not in [account["username"] for account in listed]


def test_a_disabled_staff_members_session_stops_working__D2(
    client: TestClient, runtime: Runtime, security: dict[str, str]
) -> None:
    body = {"username": "gate.staff", "roles": ["checkpoint-staff"]}
    created = client.post("/api/v1/admin/staff", headers=security, json=body).json()
    headers = sign_in(client, runtime, created)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    disabled = client.post(f"/api/v1/admin/staff/{created['id']}/disable", headers=security)
    assert disabled.status_code == 200
    assert disabled.json()["disabled_at"] is not None
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    again = client.post(
        "/api/v1/auth/staff",
        json={
            "username": "gate.staff",
            "password": created["password"],
            "one_time_password": code_at(created["totp_secret"], runtime.clock.now()),
        },
    )
    assert again.status_code == 401
    missing = client.post("/api/v1/admin/staff/no-such-id/disable", headers=security)
    assert missing.status_code == 404


def test_a_security_admin_cannot_disable_their_own_account__D2(
    client: TestClient, security: dict[str, str]
) -> None:
    me = client.get("/api/v1/auth/me", headers=security).json()
    staff = client.get("/api/v1/admin/staff", headers=security).json()
    own = next(account for account in staff if f"staff:{account['username']}" == me["label"])
    response = client.post(f"/api/v1/admin/staff/{own['id']}/disable", headers=security)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "own_account")


def test_department_clients_are_registered_with_categories_and_purpose__D1(
    client: TestClient, security: dict[str, str]
) -> None:
    response = client.post("/api/v1/admin/clients", headers=security, json=CLIENT)
    assert response.status_code == 201, response.text
    secret = response.json()["client_secret"]
    token = client.post(
        "/api/v1/auth/token", json={"client_id": "cdc-lab", "client_secret": secret}
    )
    assert token.status_code == 200
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    registry = client.get("/api/v1/admin/clients", headers=security).json()
    assert [(c["id"], c["categories"], c["purpose"]) for c in registry] == [
        ("cdc-lab", ["test"], "report test results")
    ]
    assert secret not in str(registry)
    unknown = client.post(
        "/api/v1/admin/clients", headers=security, json={**CLIENT, "id": "x2", "categories": ["x"]}
    )
    assert unknown.status_code == 422
    assert client.post("/api/v1/admin/clients/cdc-lab/disable", headers=security).status_code == 200
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401


NAME, PHONE = "王小明", "13700001234"
PERSON = Person(IdType.RESIDENT_ID, resident_id(seq="401"), NAME, PHONE)


def test_the_auditor_reads_the_log_which_holds_no_personal_data__D2(
    client: TestClient, runtime: Runtime, callers: Callers
) -> None:
    with runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [fact(Vaccination(1, "灭活疫苗"), march(3), PERSON)])
        register_venue(uow, "mall", "银泰百货", Venue.MALL, "330106", RiskLevel.MEDIUM)
        token = issue_code(uow, PERSON.key).text
    checkpoint = callers.staff(Role.CHECKPOINT)
    client.post("/api/v1/verify", headers=checkpoint, json={"token": token, "venue_id": "mall"})
    document = {
        "id_type": "resident_id",
        "id_number": PERSON.id_number,
        "name": NAME,
        "venue_id": "mall",
    }
    looked_up = client.post("/api/v1/checkpoint/registration", headers=checkpoint, json=document)
    assert looked_up.status_code == 200, looked_up.text
    callers.resident(PHONE)
    auditor = callers.staff(Role.AUDITOR)
    answer = client.get("/api/v1/audit", headers=auditor, params={"limit": 500})
    assert answer.status_code == 200
    actions = {entry["action"] for entry in answer.json()["entries"]}
    assert {"code.verify", "checkpoint.registration", "sign-in.resident"} <= actions
    for personal in (PERSON.id_number, NAME, PHONE, PHONE[-4:] + "X"):
        assert personal not in answer.text
    verified = client.get("/api/v1/audit", headers=auditor, params={"action": "code.verify"})
    entries = verified.json()["entries"]
    assert [entry["purpose"] for entry in entries] == ["verify a health code at a venue's entrance"]


def test_the_audit_log_pages_back_by_sequence_number__D2(
    client: TestClient, callers: Callers
) -> None:
    auditor = callers.staff(Role.AUDITOR)
    first = client.get("/api/v1/audit", headers=auditor, params={"limit": 2}).json()
    assert len(first["entries"]) == 2
    seqs = [entry["seq"] for entry in first["entries"]]
    assert seqs == sorted(seqs, reverse=True)
    following = client.get(
        "/api/v1/audit", headers=auditor, params={"limit": 2, "before": first["next_before"]}
    ).json()
    assert all(entry["seq"] < seqs[-1] for entry in following["entries"])
    since = client.get(
        "/api/v1/audit", headers=auditor, params={"since": "2021-03-21T00:00:00"}
    ).json()
    assert since["entries"] == []


def test_the_auditor_checks_the_hash_chain__D2(
    client: TestClient, runtime: Runtime, callers: Callers
) -> None:
    auditor = callers.staff(Role.AUDITOR)
    report = client.get("/api/v1/audit/verification", headers=auditor).json()
    assert report["intact"] is True
    assert report["problems"] == []
    assert report["entries"] > 0
    with runtime.engine.begin() as connection:
        connection.execute(update(audit_log).where(audit_log.c.seq == 1).values(detail="edited"))
    tampered = client.get("/api/v1/audit/verification", headers=auditor).json()
    assert tampered["intact"] is False
    assert any("entry 1" in problem for problem in tampered["problems"])


def test_the_auditor_reads_the_signed_heads_the_verification_checks__D1_D2(
    client: TestClient, runtime: Runtime, callers: Callers
) -> None:
    auditor = callers.staff(Role.AUDITOR)
    assert client.get("/api/v1/audit/heads", headers=auditor).json()["heads"] == []
    head = seal_audit_log(runtime)
    assert head is not None
    answer = client.get("/api/v1/audit/heads", headers=auditor).json()
    assert [listed["tree_size"] for listed in answer["heads"]] == [head.tree_size]
    # The key to check shipped copies with, whose id the signed head names.
    public = public_key_from_jwk(answer["seal_key"])
    assert verify_jws(answer["heads"][0]["document"], public, typ=HEAD_TYPE)
    report = client.get("/api/v1/audit/verification", headers=auditor).json()
    assert (report["intact"], report["heads"], report["sealed"]) == (True, 1, head.tree_size)
    assert report["unsealed"] == report["entries"] - head.tree_size
    assert report["unsealed_window_seconds"] == 300

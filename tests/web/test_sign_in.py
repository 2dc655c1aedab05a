"""Signing in: one-time codes for residents, password + TOTP for staff, client credentials."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from builders import ManualClock, operator
from healthcode.domain.roles import Role
from healthcode.security.totp import code_at
from healthcode.services.accounts import create_staff
from healthcode.services.runtime import Runtime
from web_builders import Callers


def test_resident_signs_in_with_a_one_time_code__S3(client: TestClient, callers: Callers) -> None:
    headers = callers.resident("13900000001")
    me = client.get("/api/v1/auth/me", headers=headers).json()
    assert me["kind"] == "resident"
    assert me["roles"] == ["resident"]
    assert "13900000001" not in str(me)


def test_a_wrong_code_is_refused_and_attempts_are_limited__D2(
    client: TestClient, callers: Callers
) -> None:
    client.post("/api/v1/auth/sign-in-code", json={"phone": "13900000002"})
    code = callers.last_code("13900000002")
    for _ in range(5):
        wrong = client.post(
            "/api/v1/auth/resident",
            json={"phone": "13900000002", "code": "000000" if code != "000000" else "111111"},
        )
        assert wrong.status_code == 401
        assert wrong.json()["error"]["code"] == "sign_in_failed"
    # After five wrong tries the right code no longer works: a new one must be asked for.
    right = client.post("/api/v1/auth/resident", json={"phone": "13900000002", "code": code})
    assert right.status_code == 401


def test_codes_are_throttled_per_phone__D2(client: TestClient) -> None:
    first = client.post("/api/v1/auth/sign-in-code", json={"phone": "13900000003"})
    again = client.post("/api/v1/auth/sign-in-code", json={"phone": "13900000003"})
    assert first.status_code == 202
    assert again.status_code == 429
    assert again.json()["error"]["code"] == "too_many_codes"


def test_a_second_code_too_soon_says_how_long_to_wait__D2(
    client: TestClient, clock: ManualClock
) -> None:
    client.post("/api/v1/auth/sign-in-code", json={"phone": "13900000013"})
    clock.instant += timedelta(seconds=15)
    again = client.post("/api/v1/auth/sign-in-code", json={"phone": "13900000013"})
    english = client.post("/api/v1/auth/sign-in-code?lang=en", json={"phone": "13900000013"})
    clock.instant += timedelta(seconds=46)
    later = client.post("/api/v1/auth/sign-in-code", json={"phone": "13900000013"})

    assert again.status_code == 429
    assert again.headers["Retry-After"] == "45"  # the minute's rest, from the first code
    assert again.json()["error"]["message"] == "验证码已发送，请 45 秒后再试。"
    assert english.json()["error"]["message"] == "A code was sent already; try again in 45 seconds."
    assert later.status_code == 202


def test_an_empty_phone_is_asked_for_by_name__D2(client: TestClient) -> None:
    answer = client.post("/api/v1/auth/sign-in-code", json={"phone": "  "})

    assert answer.status_code == 400
    assert answer.json() == {
        "error": {"code": "phone_missing", "message": "请输入手机号码。", "field": "phone"}
    }


def test_an_expired_code_is_refused__D2(
    client: TestClient, callers: Callers, clock: ManualClock
) -> None:
    client.post("/api/v1/auth/sign-in-code", json={"phone": "13900000004"})
    code = callers.last_code("13900000004")
    clock.instant += timedelta(minutes=6)
    response = client.post("/api/v1/auth/resident", json={"phone": "13900000004", "code": code})
    assert response.status_code == 401


def test_staff_need_password_and_second_factor__D2(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    with runtime.unit_of_work(operator()) as uow:
        new = create_staff(uow, "auditor1", [Role.AUDITOR])
    good_otp = code_at(new.totp_secret, clock.now())
    cases = [
        ("auditor1", "wrong-password", good_otp),
        ("auditor1", new.password, "000000" if good_otp != "000000" else "111111"),
        ("nobody", new.password, good_otp),
    ]
    for username, password, otp in cases:
        body = {"username": username, "password": password, "one_time_password": otp}
        refused = client.post("/api/v1/auth/staff", json=body)
        assert refused.status_code == 401
        # The same answer whatever was wrong: no hint that the account exists.
        assert refused.json() == cases_answer(refused.json())
    body = {"username": "auditor1", "password": new.password, "one_time_password": good_otp}
    assert client.post("/api/v1/auth/staff", json=body).status_code == 200


def cases_answer(answer: dict[str, object]) -> dict[str, object]:
    return {"error": {"code": "sign_in_failed", "message": "账号、密码或动态口令错误。"}} | (
        {} if answer.get("error") else answer
    )


def test_sign_out_ends_the_session__D2(client: TestClient, callers: Callers) -> None:
    headers = callers.staff(Role.AUDITOR)
    assert client.post("/api/v1/auth/sign-out", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_department_client_gets_a_bearer_token_with_its_purpose__D1(
    client: TestClient, callers: Callers
) -> None:
    headers = callers.department("test")
    me = client.get("/api/v1/auth/me", headers=headers).json()
    assert me["kind"] == "client"
    assert me["roles"] == ["department-client"]


def test_errors_have_one_shape_and_echo_nothing__D2(client: TestClient) -> None:
    response = client.post("/api/v1/auth/sign-in-code", json={"phone": "330102199001011234"})
    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "invalid_phone", "message": "手机号码格式不正确。", "field": "phone"}
    }
    missing = client.post("/api/v1/auth/resident", json={"phone": "13900000009"})
    assert missing.status_code == 422
    assert missing.json()["error"]["field"] == "code"
    assert "13900000009" not in missing.text


def test_guessing_a_staff_password_stalls_after_five_tries__D2(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    with runtime.unit_of_work(operator()) as uow:
        new = create_staff(uow, "approver1", [Role.RULE_APPROVER])
    wrong = {"username": "approver1", "password": "guess", "one_time_password": "000000"}
    answers = [client.post("/api/v1/auth/staff", json=wrong).status_code for _ in range(6)]
    assert answers == [401, 401, 401, 401, 401, 429]

    def right() -> dict[str, str]:
        otp = code_at(new.totp_secret, clock.now())
        return {"username": "approver1", "password": new.password, "one_time_password": otp}

    # Even the right password waits out the window: a guesser cannot tell when they hit it.
    refused = client.post("/api/v1/auth/staff", json=right())
    assert (refused.status_code, refused.json()["error"]["code"]) == (429, "too_many_attempts")
    clock.instant += timedelta(minutes=16)
    assert client.post("/api/v1/auth/staff", json=right()).status_code == 200


def test_guessing_a_client_secret_stalls_too__D1_D2(client: TestClient) -> None:
    body = {"client_id": "dept-unknown", "client_secret": "guess"}
    answers = [client.post("/api/v1/auth/token", json=body).status_code for _ in range(6)]
    # An unknown id is throttled like a known one: the answers do not tell which ids exist.
    assert answers == [401, 401, 401, 401, 401, 429]

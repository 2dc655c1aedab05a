"""Limits through the real app (issue #11): parallel requests are threads on one TestClient, the
app's handlers run in its thread pool against the database."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import ManualClock, fact, march, operator
from healthcode.db.schema import audit_log, scanner_devices
from healthcode.domain.areas import RiskLevel
from healthcode.domain.facts import Vaccination
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.security.totp import code_at
from healthcode.services.accounts import create_staff
from healthcode.services.checkpoint.venues import register_venue
from healthcode.services.facts import record_facts
from healthcode.services.runtime import Actor, Runtime
from web.test_venues_api import register_scanner, report
from web_builders import Callers

ADMIN = Actor("admin", "system-admin", "venue registration")


def audited(runtime: Runtime, action: str, outcome: str) -> list[str | None]:
    with runtime.engine.connect() as connection:
        return list(
            connection.scalars(
                select(audit_log.c.detail).where(
                    audit_log.c.action == action, audit_log.c.outcome == outcome
                )
            )
        )


def test_forty_parallel_wrong_passwords_through_the_app_have_five_checked__D2(
    client: TestClient, runtime: Runtime
) -> None:
    with runtime.unit_of_work(operator()) as uow:
        create_staff(uow, "approver", [Role.RULE_APPROVER])
    wrong = {"username": "approver", "password": "guess", "one_time_password": "000000"}

    def guess(_: int) -> int:
        return client.post("/api/v1/auth/staff", json=wrong).status_code

    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = Counter(pool.map(guess, range(40)))
    assert answers == Counter({401: 5, 429: 35})
    assert len(audited(runtime, "sign-in.staff", "refused")) == 5


def test_the_real_approver_signs_in_from_another_address_during_an_attack__D2(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    with runtime.unit_of_work(operator()) as uow:
        new = create_staff(uow, "approver", [Role.RULE_APPROVER])
    wrong = {"username": "approver", "password": "guess", "one_time_password": "000000"}
    answers = [client.post("/api/v1/auth/staff", json=wrong).status_code for _ in range(7)]
    assert answers == [401] * 5 + [429] * 2
    right = {
        "username": "approver",
        "password": new.password,
        "one_time_password": code_at(new.totp_secret, clock.now()),
    }
    # X-Forwarded-For is not believed: the attacker cannot claim to be somewhere else.
    spoofed = client.post("/api/v1/auth/staff", json=wrong, headers={"X-Forwarded-For": "1.2.3.4"})
    assert spoofed.status_code == 429
    office = TestClient(client.app, client=("10.20.30.40", 50000))
    signed_in = office.post("/api/v1/auth/staff", json=right)
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["roles"] == [Role.RULE_APPROVER.value]


def test_a_checker_past_the_rate_gets_429_and_it_is_audited__D2(
    client: TestClient, callers: Callers, runtime: Runtime
) -> None:
    with runtime.unit_of_work(ADMIN) as uow:
        register_venue(uow, "mall", "银泰百货", Venue.MALL, "330106", RiskLevel.MEDIUM)
    checker = callers.staff(Role.CHECKPOINT)
    body = {"token": "HZ1:NOT-A-CODE", "venue_id": "mall"}
    answers = [client.post("/api/v1/verify", headers=checker, json=body) for _ in range(61)]
    assert [a.status_code for a in answers] == [200] * 60 + [429]
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert "每 1 分钟最多 60 次" in answers[-1].json()["error"]["message"]
    assert audited(runtime, "code.verify", "throttled") == ["limit=verify_per_staff_minute"]
    other = callers.staff(Role.CHECKPOINT)  # the next lane is not slowed by this one
    assert client.post("/api/v1/verify", headers=other, json=body).status_code == 200


def look_up(client: TestClient, headers: dict[str, str], number: str, name: str) -> Any:
    body = {"id_type": "resident_id", "id_number": number, "name": name, "venue_id": "mall"}
    response = client.post("/api/v1/checkpoint/registration", headers=headers, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def shape(value: Any) -> Any:
    """The keys and types of an answer, not its values (nor how many clauses a list names)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted({repr(shape(item)) for item in value})
    return type(value).__name__


def test_known_and_unknown_numbers_are_answered_in_one_shape__S4_D2(
    client: TestClient, callers: Callers, runtime: Runtime
) -> None:
    from web.test_verification_api import GREEN, STRANGER  # noqa: PLC0415

    with runtime.unit_of_work(ADMIN) as uow:
        register_venue(uow, "mall", "银泰百货", Venue.MALL, "330106", RiskLevel.MEDIUM)
    with runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [fact(Vaccination(1, "灭活疫苗"), march(3), GREEN)])
    checker = callers.staff(Role.CHECKPOINT)
    known = look_up(client, checker, GREEN.id_number, "张小三")
    unknown = look_up(client, checker, STRANGER, "张小三")
    wrong_name = look_up(client, checker, GREEN.id_number, "王五")
    assert shape(known) == shape(unknown) == shape(wrong_name)
    assert known["masked_name"] == unknown["masked_name"] == "张*三"
    assert wrong_name == look_up(client, checker, STRANGER, "王五")
    assert GREEN.id_number not in str(known)


def test_a_replayed_scan_report_is_refused_and_the_device_is_not_flagged__D2(
    client: TestClient, callers: Callers, runtime: Runtime
) -> None:
    register_scanner(client, callers.staff(Role.SYSTEM_ADMIN))
    captured = report(runtime)
    assert client.post("/api/v1/scans", json=captured).status_code == 200
    replays = [client.post("/api/v1/scans", json=captured) for _ in range(70)]
    assert {r.status_code for r in replays} == {409}
    assert replays[0].json()["error"]["code"] == "scan_report_replayed"
    with runtime.engine.connect() as connection:
        flagged = connection.scalar(select(scanner_devices.c.flagged_at))
    assert flagged is None
    assert client.post("/api/v1/scans", json=report(runtime)).status_code == 200

"""Personal data never reaches the logs (D2): a journey with canary values, every log line read.

A resident with a canary phone, name and ID number signs in, is bound from the register, is
shown a code, reports symptoms and appeals in canary words; a 12345 operator takes a call with
a canary callback phone; and bad requests carry the canaries in their bodies and query strings.
Every record any server-side logger emits on the way (the app's, uvicorn's, the libraries') is
captured at DEBUG and must name none of them, in its message, its arguments or its extra fields.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from builders import ManualClock, march, on_register
from healthcode.db.engine import connect
from healthcode.db.migrate import upgrade
from healthcode.domain.facts import Person
from healthcode.domain.identity import IdType
from healthcode.domain.roles import Role
from healthcode.security.keyring import generate_keyring
from healthcode.security.vault import Vault
from healthcode.services.messages import OutboxSender
from healthcode.services.runtime import Actor, Runtime
from healthcode.settings import Settings
from healthcode.web import create_app
from web_builders import Callers

PHONE = "13912344321"
CALLBACK = "13956788765"
NAME = "金丝雀测试"
ID_NUMBER = "330106198506122133"
WORDS = "金丝雀申诉原话"
# The test's own HTTP client logs the URLs it requests: that is the caller's side, not the server's.
CLIENT_SIDE = ("httpx", "httpcore")
CANARIES = (PHONE, PHONE[-4:] + "X", CALLBACK, NAME, ID_NUMBER, ID_NUMBER[6:14], WORDS)


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(CLIENT_SIDE):
            return
        # Everything a formatter could print: the message with its arguments and every attribute.
        self.lines.append(f"{record.getMessage()} {record.__dict__!r}")


@pytest.fixture
def journey() -> Iterator[tuple[Callers, Captured]]:
    captured = Captured()
    root = logging.getLogger()
    level = root.level
    root.addHandler(captured)
    root.setLevel(logging.DEBUG)
    with tempfile.TemporaryDirectory() as folder:
        clock = ManualClock(march(20))
        url = f"sqlite:///{Path(folder) / 'healthcode.db'}"
        engine = connect(url)
        upgrade(engine)
        vault = Vault(generate_keyring(clock.now()))
        settings = Settings(data_dir=Path(folder), database_url=url)
        runtime = Runtime(settings, engine, vault, clock, vault.blind_index("audit-chain", "test"))
        try:
            with TestClient(create_app(settings, runtime, OutboxSender())) as client:
                yield Callers(client, runtime), captured
        finally:
            root.removeHandler(captured)
            root.setLevel(level)
            engine.dispose()


def test_no_log_line_names_a_person__D2(journey: tuple[Callers, Captured]) -> None:
    callers, captured = journey
    client = callers.client
    with callers.runtime.unit_of_work(Actor("police", "department_client", "register")) as uow:
        on_register(uow, Person(IdType.RESIDENT_ID, ID_NUMBER, NAME), phone=PHONE)
    resident = callers.resident(PHONE)
    body = {"id_type": "resident_id", "id_number": ID_NUMBER, "name": NAME}
    applied = client.post("/api/v1/applications", headers=resident, json=body)
    assert applied.status_code == 201, applied.text
    person = applied.json()["person_id"]
    assert client.get(f"/api/v1/codes/{person}", headers=resident).status_code == 200
    symptoms = {"action": "report", "symptoms": ["fever"]}
    client.post(f"/api/v1/codes/{person}/symptoms", headers=resident, json=symptoms)
    appeal = {"category": "wrong_colour", "text": WORDS}
    assert client.post(f"/api/v1/codes/{person}/appeal", headers=resident, json=appeal).is_success
    hotline = callers.staff(Role.HOTLINE_OPERATOR)
    call = {
        **body,
        "callback_phone": CALLBACK,
        "category": "other",
        "text": WORDS,
        "language": "zh",
    }
    client.post("/api/v1/appeals", headers=hotline, json=call)
    # Requests that fail, with the canaries where an attacker or a slip would put them.
    client.post("/api/v1/auth/sign-in-code", json={"phone": f"{PHONE}{NAME}"})
    client.post("/api/v1/applications", headers=resident, json={**body, "id_type": NAME})
    client.get(f"/api/v1/codes/{ID_NUMBER}?name={NAME}&phone={PHONE}", headers=resident)
    client.post("/api/v1/verify", headers=callers.staff(Role.CHECKPOINT), json={"token": NAME})

    assert captured.lines, "nothing was logged: the capture is not working"
    assert [line for line in captured.lines if any(c in line for c in CANARIES)] == []

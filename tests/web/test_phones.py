"""One number, one account (D2, issue #11): every spelling of a phone number is read into one
form before it is used, so `+8613800000002`, `8613800000002`, `138 0000 0002` and `13800000002`
reach the same resident, and a callback or a department's record holds the same number."""

from __future__ import annotations

from datetime import timedelta

import pytest

from builders import ManualClock, march, on_register, operator
from healthcode.db.sessions_store import OutboxStore
from healthcode.domain.facts import Person
from healthcode.domain.identity import IdType, normalise_phone
from healthcode.domain.roles import Role
from healthcode.exchange.fields import Fields
from healthcode.exchange.persons import parse_person
from healthcode.services.runtime import Runtime
from web.test_appeals_api import CALL
from web_builders import Callers

SPELLINGS = ("+8613800000002", "8613800000002", "138 0000 0002", "+86 138-0000-0002", "13800000002")
CANONICAL = "13800000002"
SELF = {"id_type": "resident_id", "id_number": "330203199208170648", "name": "李娜"}


def sign_in(callers: Callers, spelling: str) -> dict[str, str]:
    client = callers.client
    assert client.post("/api/v1/auth/sign-in-code", json={"phone": spelling}).status_code == 202
    # The text went to the number in its one form.
    code = callers.last_code(CANONICAL)
    response = client.post("/api/v1/auth/resident", json={"phone": spelling, "code": code})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_a_number_is_its_one_form__D2(spelling: str) -> None:
    assert normalise_phone(spelling) == CANONICAL


def test_other_countries_numbers_are_e164__D2() -> None:
    assert normalise_phone("+852 9123 4567") == "+85291234567"
    assert normalise_phone("+44 7911 123456") == "+447911123456"
    assert normalise_phone("+86 571 8888 8888") is None  # a landline: no text reaches it


def test_every_spelling_of_a_number_signs_in_to_one_account__D2(
    callers: Callers, clock: ManualClock
) -> None:
    first = sign_in(callers, SPELLINGS[0])
    with callers.runtime.unit_of_work(operator()) as uow:
        on_register(
            uow, Person(IdType.RESIDENT_ID, SELF["id_number"], SELF["name"]), phone=CANONICAL
        )
    applied = callers.client.post("/api/v1/applications", json=SELF, headers=first)
    assert applied.status_code == 201, applied.text
    person_id = applied.json()["person_id"]
    for spelling in SPELLINGS[1:]:
        clock.instant += timedelta(minutes=2)  # one code a minute per number
        headers = sign_in(callers, spelling)
        people = callers.client.get("/api/v1/me/people", headers=headers).json()["people"]
        assert [person["person_id"] for person in people] == [person_id], spelling


def test_a_callback_phone_is_kept_in_its_one_form__S6_D2(
    callers: Callers, runtime: Runtime
) -> None:
    hotline = callers.staff(Role.HOTLINE_OPERATOR)
    call = CALL | {"callback_phone": "+86 139 1234 0001"}
    filed = callers.client.post("/api/v1/appeals", json=call, headers=hotline)
    assert filed.status_code == 201, filed.text
    appeal = filed.json()["appeal"]
    answered = callers.client.post(
        f"/api/v1/appeals/{appeal}/answer", json={"text": "已核实。"}, headers=hotline
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["sent_to"] == "139****0001"
    with runtime.unit_of_work(operator()) as uow:
        index = runtime.vault.blind_index("phone", "13912340001")
        assert len(OutboxStore(uow.connection, runtime.vault).latest(10, index)) == 1


def test_a_departments_record_holds_the_number_in_its_one_form__S5_D2() -> None:
    record = {**SELF, "phone": "+86 138 0000 0002"}
    person = parse_person(Fields(record, "person."), march(20))
    assert person.phone == CANONICAL

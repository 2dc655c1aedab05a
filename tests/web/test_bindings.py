"""Identity before any code is shown (issue #11; A1, S3, D2), over HTTP on a real database.

The attack this answers: an account that knew only an ID number and typed any name was shown the
person's code and its reasons, and could report symptoms for them. Now a binding is made only once
the register, the phone on record, the household or staff at a service point prove who it is for.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import on_register, operator, resident_id
from healthcode.db.schema import audit_log
from healthcode.domain.facts import Person
from healthcode.domain.identity import IdType
from healthcode.domain.roles import Role
from healthcode.security.vault import Vault
from healthcode.services.runtime import Runtime
from web_builders import Callers, Headers, RouteCase, assert_access

REFERENCE = "0123456789"
ROUTES = [
    RouteCase(
        "POST",
        f"/api/v1/applications/{REFERENCE}/confirm",
        frozenset({Role.RESIDENT}),
        {"code": "000000"},
    ),
    RouteCase("GET", "/api/v1/me/bound-by", frozenset({Role.RESIDENT})),
    RouteCase("DELETE", "/api/v1/me/bound-by/1", frozenset({Role.RESIDENT})),
    RouteCase(
        "POST",
        f"/api/v1/service-point/bindings/{REFERENCE}",
        frozenset({Role.CHECKPOINT, Role.LOCAL_HANDLER}),
        {"id_type": "resident_id", "id_number": resident_id(seq="901"), "name": "某"},
    ),
]

# The demo's people, as in the attack: 张伟 knew 陈晓明's ID number.
VICTIM = Person(IdType.RESIDENT_ID, "330106198506122133", "陈晓明")
VICTIM_PHONE = "13800000001"
ATTACKER = Person(IdType.RESIDENT_ID, "330302197801203156", "张伟")
ATTACKER_PHONE = "13800000003"
MOTHER = Person(IdType.RESIDENT_ID, "330106194303052421", "王桂英")  # no phone on record
CHILD = Person(IdType.RESIDENT_ID, resident_id(birth="20150601", seq="911"), "陈小小")
STRANGER = Person(IdType.RESIDENT_ID, resident_id(birth="19700101", seq="912"), "无名")
SHOWN = ("/api/v1/codes/{}", "/api/v1/codes/{}/appeals")
POSTED = ("/api/v1/codes/{}/paper", "/api/v1/codes/{}/symptoms", "/api/v1/codes/{}/appeal")


@pytest.mark.parametrize("case", ROUTES, ids=lambda case: f"{case.method} {case.path}")
def test_only_the_right_callers_reach_the_binding_routes__D2(
    access_callers: Callers, case: RouteCase
) -> None:
    assert_access(access_callers, case)


@pytest.fixture
def register(runtime: Runtime) -> None:
    """陈晓明 and his mother in one household, his son a minor there too; 张伟 in another."""
    with runtime.unit_of_work(operator("department_client", "record the register")) as uow:
        on_register(uow, VICTIM, "H-CHEN", VICTIM_PHONE)
        on_register(uow, MOTHER, "H-CHEN")
        on_register(uow, CHILD, "H-CHEN", "13800000009")
        on_register(uow, ATTACKER, "H-ZHANG", ATTACKER_PHONE)


def body(person: Person, relationship: str = "self", **changes: object) -> dict[str, Any]:
    return {
        "relationship": relationship,
        "id_type": person.id_type.value,
        "id_number": person.id_number,
        "name": person.name,
        "consent": relationship != "self",
    } | changes


def signed_in_as_self(client: TestClient, callers: Callers, person: Person, phone: str) -> Headers:
    headers = callers.resident(phone)
    taken = client.post("/api/v1/applications", json=body(person), headers=headers)
    assert taken.status_code == 201, taken.text
    return headers


def person_id(runtime: Runtime, person: Person) -> str | None:
    with runtime.unit_of_work(operator()) as uow:
        return uow.people.ids_for([person.key]).get(person.key)


def assert_nothing_reachable(client: TestClient, headers: Headers, who: str | None) -> None:
    """Every route about a person answers 404, as it does for a stranger (no probing)."""
    assert who is not None
    for path in SHOWN:
        assert client.get(path.format(who), headers=headers).status_code == 404
    payloads = [{}, {"symptoms": ["fever"]}, {"category": "wrong_colour", "text": "x"}]
    for path, payload in zip(POSTED, payloads, strict=True):
        assert client.post(path.format(who), json=payload, headers=headers).status_code == 404


def without_noise(answer: dict[str, Any]) -> dict[str, Any]:
    """A pending answer minus its fresh reference (the expiry is the same at one instant)."""
    return {key: value for key, value in answer.items() if key != "reference"}


def texts_to(runtime: Runtime, phone: str) -> list[str]:
    index = runtime.vault.blind_index("phone", phone)
    with runtime.unit_of_work(operator()) as uow:
        return [message.body for message in uow.outbox.latest(50, index)]


@pytest.mark.usefixtures("register")
def test_an_id_number_and_a_made_up_name_bind_nothing_and_show_nothing__D2(
    client: TestClient, callers: Callers, runtime: Runtime
) -> None:
    attacker = signed_in_as_self(client, callers, ATTACKER, ATTACKER_PHONE)
    for name in ("随便写", VICTIM.name):
        asked = body(VICTIM, "other", name=name)
        answer = client.post("/api/v1/applications", json=asked, headers=attacker)
        assert answer.status_code == 202, answer.text
        assert "person_id" not in answer.json()
        assert "陈晓明" not in answer.text
        assert "green" not in answer.text
    listed = client.get("/api/v1/me/people", headers=attacker).json()
    assert [p["relationship"] for p in listed["people"]] == ["self"]
    assert [p["relationship"] for p in listed["pending"]] == ["other", "other"]
    assert "name" not in str(listed["pending"])
    assert "colour" not in str(listed["pending"])
    # The person may well be on file (the demo's 陈晓明 is): still not found through this account.
    with runtime.unit_of_work(operator()) as uow:
        victim = uow.people.add(VICTIM, uow.now)
    assert_nothing_reachable(client, attacker, victim)


@pytest.mark.usefixtures("register")
def test_a_self_claim_with_a_wrong_name_or_from_another_phone_is_not_bound__A1(
    client: TestClient, callers: Callers
) -> None:
    phone = callers.resident("13900009999")
    for claimed in (body(MOTHER, name="王某某"), body(MOTHER), body(VICTIM, name="陈晓")):
        answer = client.post("/api/v1/applications", json=claimed, headers=phone)
        assert answer.status_code == 202, answer.text
        assert answer.json()["relationship"] == "self"
    assert client.get("/api/v1/me/people", headers=phone).json()["people"] == []
    # The right name from the phone on record is bound at once.
    assert signed_in_as_self(client, callers, VICTIM, VICTIM_PHONE)


@pytest.mark.usefixtures("register")
def test_the_person_confirms_with_the_code_sent_to_their_phone__D2(
    client: TestClient, callers: Callers, runtime: Runtime
) -> None:
    holder = signed_in_as_self(client, callers, ATTACKER, ATTACKER_PHONE)
    pending = client.post("/api/v1/applications", json=body(VICTIM, "sibling"), headers=holder)
    assert pending.status_code == 202
    confirm = f"/api/v1/applications/{pending.json()['reference']}/confirm"
    wrong = client.post(confirm, json={"code": "000000"}, headers=holder)
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (422, "confirmation_failed")
    code = callers.last_code(VICTIM_PHONE)
    # Another account cannot use the code or the reference.
    other = callers.resident("13900008888")
    assert client.post(confirm, json={"code": code}, headers=other).status_code == 422
    bound = client.post(confirm, json={"code": code}, headers=holder)
    assert bound.status_code == 201, bound.text
    shown = client.get(f"/api/v1/codes/{bound.json()['person_id']}", headers=holder)
    assert shown.status_code == 200
    assert client.post(confirm, json={"code": code}, headers=holder).status_code == 422  # used
    assert any("已绑定到手机号 138****0003" in text for text in texts_to(runtime, VICTIM_PHONE))


@pytest.mark.usefixtures("register")
def test_the_same_household_binds_a_minor_or_a_person_without_a_phone_at_once__S3(
    client: TestClient, callers: Callers, runtime: Runtime
) -> None:
    holder = signed_in_as_self(client, callers, VICTIM, VICTIM_PHONE)
    for member, relationship in ((MOTHER, "parent"), (CHILD, "child")):
        taken = client.post("/api/v1/applications", json=body(member, relationship), headers=holder)
        assert taken.status_code == 201, taken.text
    # The minor has a phone on record: they are told (D2).
    assert any("已绑定" in text for text in texts_to(runtime, "13800000009"))
    # Another household's member without a phone waits, like anyone else.
    zhang = signed_in_as_self(client, callers, ATTACKER, ATTACKER_PHONE)
    waiting = client.post("/api/v1/applications", json=body(MOTHER, "other"), headers=zhang)
    assert waiting.status_code == 202
    assert_nothing_reachable(client, zhang, person_id(runtime, MOTHER))


@pytest.mark.usefixtures("register")
def test_staff_who_saw_the_document_complete_the_binding_and_answer_for_it__S3(
    client: TestClient, callers: Callers, runtime: Runtime
) -> None:
    holder = signed_in_as_self(client, callers, ATTACKER, ATTACKER_PHONE)
    pending = client.post("/api/v1/applications", json=body(STRANGER, "other"), headers=holder)
    reference = pending.json()["reference"]
    staff = callers.staff(Role.CHECKPOINT)
    path = f"/api/v1/service-point/bindings/{reference}"
    document = {"id_type": "resident_id", "id_number": STRANGER.id_number, "name": STRANGER.name}
    wrong = document | {"id_number": VICTIM.id_number}
    assert client.post(path, json=wrong, headers=staff).status_code == 404
    assert client.post(path, json=document | {"name": "别人"}, headers=staff).status_code == 404
    done = client.post(path, json=document, headers=staff)
    assert done.status_code == 201, done.text
    assert set(done.json()) == {"reference", "status"}  # staff see no code, colour or name
    people = client.get("/api/v1/me/people", headers=holder).json()
    assert [p["relationship"] for p in people["people"]] == ["self", "other"]
    assert people["pending"] == []
    with runtime.engine.connect() as connection:
        rows = connection.execute(
            select(audit_log.c.actor, audit_log.c.role, audit_log.c.detail).where(
                audit_log.c.action == "household.check-in-person", audit_log.c.outcome == "ok"
            )
        ).all()
    assert len(rows) == 1
    assert rows[0].actor.startswith("staff")
    assert rows[0].role == Role.CHECKPOINT.value
    assert STRANGER.id_number not in str(rows)
    assert "无名" not in str(rows)


@pytest.mark.usefixtures("register")
def test_a_pending_person_shows_nothing_until_bound__D2(
    client: TestClient, callers: Callers, runtime: Runtime
) -> None:
    holder = signed_in_as_self(client, callers, ATTACKER, ATTACKER_PHONE)
    asked = client.post("/api/v1/applications", json=body(VICTIM, "spouse"), headers=holder)
    with runtime.unit_of_work(operator()) as uow:
        victim = uow.people.add(VICTIM, uow.now)
    assert_nothing_reachable(client, holder, victim)
    page = client.get("/", headers=holder | {"Accept": "text/html"})
    assert asked.json()["reference"] in page.text  # the page says it waits, and for what only
    assert "陈晓明" not in page.text
    assert "陈*" not in page.text


@pytest.mark.usefixtures("register")
def test_the_bound_person_is_told_and_ends_the_binding__D2(
    client: TestClient, callers: Callers
) -> None:
    holder = signed_in_as_self(client, callers, ATTACKER, ATTACKER_PHONE)
    pending = client.post("/api/v1/applications", json=body(VICTIM, "other"), headers=holder)
    confirm = f"/api/v1/applications/{pending.json()['reference']}/confirm"
    code = callers.last_code(VICTIM_PHONE)
    bound = client.post(confirm, json={"code": code}, headers=holder).json()["person_id"]
    victim = signed_in_as_self(client, callers, VICTIM, VICTIM_PHONE)
    page = client.get("/", headers=victim | {"Accept": "text/html"})
    assert "谁绑定了我" in page.text
    assert "138****0003" in page.text
    listed = client.get("/api/v1/me/bound-by", headers=victim).json()["bound_by"]
    assert [(link["relationship"], link["account_phone"]) for link in listed] == [
        ("other", "138****0003")
    ]
    ended = client.delete(f"/api/v1/me/bound-by/{listed[0]['link']}", headers=victim)
    assert ended.status_code == 204
    assert client.get(f"/api/v1/codes/{bound}", headers=holder).status_code == 404
    assert client.get("/api/v1/me/bound-by", headers=victim).json()["bound_by"] == []
    # Nobody else can end it: the holder's own link is not among "bound by" of another account.
    assert (
        client.delete(f"/api/v1/me/bound-by/{listed[0]['link']}", headers=holder).status_code == 404
    )


@pytest.fixture
def blind_index_work(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the keyed-hash work by kind: what timing could otherwise tell apart."""
    counted: Counter[str] = Counter()
    original = Vault.blind_index

    def counting(vault: Vault, kind: str, value: str) -> bytes:
        counted[kind] += 1
        return original(vault, kind, value)

    monkeypatch.setattr(Vault, "blind_index", counting)
    return counted


@pytest.mark.usefixtures("register")
def test_an_unknown_document_a_wrong_name_and_a_known_person_answer_alike__D2(
    client: TestClient, callers: Callers, blind_index_work: Counter[str]
) -> None:
    holder = signed_in_as_self(client, callers, ATTACKER, ATTACKER_PHONE)
    answers, work = [], []
    for asked in (
        body(STRANGER, "other"),
        body(MOTHER, "other", name="王某"),
        body(MOTHER, "other"),
    ):
        blind_index_work.clear()
        answer = client.post("/api/v1/applications", json=asked, headers=holder)
        answers.append((answer.status_code, without_noise(answer.json())))
        work.append(dict(blind_index_work))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 202
    assert work[0] == work[1] == work[2]
    # A known person with a phone is texted a code: the only extra work is the sender's own.
    blind_index_work.clear()
    client.post("/api/v1/applications", json=body(VICTIM, "other"), headers=holder)
    texted = Counter(blind_index_work)
    texted.subtract({"phone": 1})
    assert dict(+texted) == {kind: count for kind, count in work[0].items() if count}

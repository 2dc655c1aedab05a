"""Showing a code at the peak (ADR 0022) on both databases, with the shared state in this process's
memory and in the machine's Redis: what a refresh costs the database, and that everything a code
depends on (the link, the colour, the signing key) is read afresh on the very next request."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import event

from builders import ManualClock, diagnosis, operator, resident_id
from healthcode.db.shared_state import LocalState, RedisState
from healthcode.domain.facts import Person
from healthcode.domain.identity import IdType
from healthcode.services.codes.signing import active_signing_key, revoke_signing_key
from healthcode.services.facts import record_facts
from healthcode.services.messages import OutboxSender
from healthcode.services.runtime import Runtime
from healthcode.tokens import read_token
from healthcode.web import create_app
from machine_redis import REDIS_URL, require_redis
from web_builders import Callers, Headers, on_register_as

SELF_ID = resident_id(birth="19800808", seq="201")
PARENT_ID = resident_id(birth="19450303", seq="202")
SELF = {"id_type": "resident_id", "id_number": SELF_ID, "name": "陈晓明"}
PARENT = {
    "relationship": "parent",
    "id_type": "resident_id",
    "id_number": PARENT_ID,
    "name": "陈老太",
    "consent": True,
}

# What a reused show may ask the database, besides the audit log (its appends are the audit's
# design, ADR 0007 and its successors) and the signing key (read once per process every few
# seconds, ADR 0019): ONE statement, the household's links joined with the persons, their stored
# codes and the versions they applied for. Before ADR 0022 it was eight (the links, the persons
# twice, the states three times, the person's document, the application) and nothing stopped a
# new feature from adding a tenth. A new read on this path belongs in that statement.
SHOW_READS = 1
ANSWER: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


@pytest.fixture(params=["local", "redis"])
def served(runtime: Runtime, request: pytest.FixtureRequest) -> Iterator[Runtime]:
    """The runtime the app serves with: the shared state in its memory, or in Redis."""
    if request.param == "local":
        yield replace(runtime, shared=LocalState())
        return
    require_redis()
    yield replace(runtime, shared=RedisState(REDIS_URL, f"test-show-{secrets.token_hex(6)}"))


@pytest.fixture
def callers(served: Runtime) -> Iterator[Callers]:
    with TestClient(create_app(served.settings, served, OutboxSender())) as client:
        yield Callers(client, served)


def household(callers: Callers) -> tuple[Headers, str, str]:
    client = callers.client
    headers = callers.resident("13800000021")
    on_register_as(client, headers, SELF)
    own = client.post("/api/v1/applications", json=SELF, headers=headers)
    assert own.status_code == 201, own.text
    on_register_as(client, headers, PARENT, callers_phone=False)
    parent = client.post("/api/v1/applications", json=PARENT, headers=headers)
    assert parent.status_code == 201, parent.text
    return headers, own.json()["person_id"], parent.json()["person_id"]


def show(callers: Callers, headers: Headers, person_id: str) -> dict[str, Any]:
    shown = callers.client.get(f"/api/v1/codes/{person_id}", headers=headers)
    assert shown.status_code == 200, shown.text
    assert shown.headers["content-type"] == "application/json"
    # Written by the route itself (ADR 0022): byte for byte what FastAPI's own serialiser writes.
    assert shown.content == ANSWER.dump_json(shown.json())
    return dict(shown.json())


def statements_of(runtime: Runtime, work: Any) -> list[str]:
    """The SQL statements `work()` sends, one line each, lower case."""
    seen: list[str] = []

    def sent(*args: Any) -> None:
        seen.append(" ".join(str(args[2]).split()).lower())

    event.listen(runtime.engine, "before_cursor_execute", sent)
    try:
        work()
    finally:
        event.remove(runtime.engine, "before_cursor_execute", sent)
    return seen


def test_a_reused_code_costs_one_read_and_writes_nothing_but_its_audit_entry(
    callers: Callers, served: Runtime, clock: ManualClock
) -> None:
    headers, own, _ = household(callers)
    first = show(callers, headers, own)  # signs it: the signing key is read and kept
    clock.instant += timedelta(seconds=30)
    again: dict[str, Any] = {}
    looked_up = shared_reads(served)
    sent = statements_of(served, lambda: again.update(show(callers, headers, own)))
    assert again["token"] == first["token"]  # reused: this is the refresh the peak is made of
    besides = [s for s in sent if "audit_log" not in s and "signing_keys" not in s]
    reads = [s for s in besides if s.startswith("select")]
    writes = [s for s in besides if s.startswith(("insert", "update", "delete"))]
    assert len(reads) <= SHOW_READS, reads
    assert writes == []  # ADR 0019: no database write on the hot path but the audit entry
    assert any("household_links" in s and "code_states" in s for s in reads)
    # With Redis: the session only (sign-out counts everywhere at once, ADR 0019); the code held
    # for the refresh is this process's own copy, checked against what was just read (ADR 0022).
    assert looked_up == ([["session"]] if served.shared.shared_across_processes else [])


def shared_reads(runtime: Runtime) -> list[list[str]]:
    """What the shared state is asked for from now on, by kind of key, when it is Redis."""
    asked: list[list[str]] = []
    if not runtime.shared.shared_across_processes:
        return asked
    shared = runtime.shared
    get_many = shared.get_many

    def counted(keys: Any) -> list[bytes | None]:
        asked.append([key.partition(":")[0] for key in keys])
        return get_many(keys)

    shared.get_many = counted  # type: ignore[method-assign]
    return asked


def test_a_changed_colour_an_unbinding_and_a_revoked_key_count_on_the_next_show__A2_S3(
    callers: Callers, served: Runtime, runtime: Runtime, clock: ManualClock
) -> None:
    headers, own, parent = household(callers)
    green = show(callers, headers, parent)
    assert show(callers, headers, parent)["token"] == green["token"]

    # Saved by another process (a command-line import): its own runtime, its own memory.
    fact = diagnosis("confirmed", clock.now(), Person(IdType.RESIDENT_ID, PARENT_ID))
    with replace(runtime, shared=LocalState()).unit_of_work(operator()) as uow:
        record_facts(uow, [fact])
    red = show(callers, headers, parent)
    assert (green["colour"], red["colour"]) == ("green", "red")
    assert red["token"] != green["token"]
    assert red["reasons"][0]["rule"] == "red-confirmed"

    kept = show(callers, headers, own)
    assert show(callers, headers, own)["token"] == kept["token"]
    with served.unit_of_work(operator("security_admin")) as uow:
        revoke_signing_key(uow, active_signing_key(uow).kid, "test: key exposed")
    fresh = show(callers, headers, own)
    assert fresh["token"] != kept["token"]
    assert read_token(fresh["token"]).kid != read_token(kept["token"]).kid

    unbound = callers.client.delete(f"/api/v1/me/people/{parent}", headers=headers)
    assert unbound.status_code == 204
    gone = callers.client.get(f"/api/v1/codes/{parent}", headers=headers)
    assert gone.status_code == 404

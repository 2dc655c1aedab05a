"""What `POST /api/v1/verify` keeps in process and in Redis (ADR 0023): the venue and its risk level
are reused a few seconds, an edit takes effect at once in the process that made it, and every
cache's lookups are counted on `/metrics` (hits, misses, fall-backs to the database)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from builders import ManualClock, fact, march, operator, resident_id
from healthcode.db.engine import connect
from healthcode.db.migrate import upgrade
from healthcode.db.shared_state import RedisState
from healthcode.domain.areas import RiskArea, RiskLevel
from healthcode.domain.facts import Person, Vaccination
from healthcode.domain.identity import IdType
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.security.keyring import generate_keyring
from healthcode.security.vault import Vault
from healthcode.services.areas import record_risk_areas
from healthcode.services.checkpoint.venues import register_venue, set_area_risk
from healthcode.services.codes.issuing import issue_code
from healthcode.services.facts import record_facts
from healthcode.services.messages import OutboxSender
from healthcode.services.runtime import MEMO_SECONDS, Actor, Runtime
from healthcode.settings import Settings
from healthcode.web import create_app
from machine_redis import REDIS_URL, require_redis
from web_builders import METRICS_TOKEN, SCRAPER, Callers

ADMIN = Actor("admin", "system-admin", "venue registration")
GREEN = Person(IdType.RESIDENT_ID, resident_id(seq="401"), "张小三", "13912345678")


def _runtime(folder: Path, clock: ManualClock, redis_url: str | None = None) -> Runtime:
    url = f"sqlite:///{folder / 'healthcode.db'}"
    engine = connect(url)
    upgrade(engine)
    vault = Vault(generate_keyring(clock.now()))
    settings = Settings(data_dir=folder, database_url=url, metrics_token=METRICS_TOKEN)
    runtime = Runtime(settings, engine, vault, clock, vault.blind_index("audit-chain", "test"))
    if redis_url is not None:
        runtime = replace(runtime, shared=RedisState(redis_url, f"test-{secrets.token_hex(6)}"))
    with runtime.unit_of_work(ADMIN) as uow:
        # A park in a low-risk area checks no code (S2) until its area is rated higher.
        register_venue(uow, "park", "西湖公园", Venue.PARK, "330106", RiskLevel.LOW)
    with runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [fact(Vaccination(1, "灭活疫苗"), march(3), GREEN)])
    return runtime


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(march(20))


@pytest.fixture
def runtime(tmp_path: Path, clock: ManualClock) -> Iterator[Runtime]:
    runtime = _runtime(tmp_path, clock)
    yield runtime
    runtime.engine.dispose()


def _client(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime.settings, runtime, OutboxSender()))


def _verify(client: TestClient, staff: dict[str, str], token: str) -> dict[str, object]:
    response = client.post(
        "/api/v1/verify", headers=staff, json={"token": token, "venue_id": "park"}
    )
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


def _code(runtime: Runtime) -> str:
    with runtime.unit_of_work(operator("operator", "code issue")) as uow:
        return issue_code(uow, GREEN.key).text


def _lookups(client: TestClient) -> dict[tuple[str, str], float]:
    response = client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200, response.text
    return {
        (sample.labels["cache"], sample.labels["outcome"]): sample.value
        for family in text_string_to_metric_families(response.text)
        if family.name == "healthcode_cache_lookups"
        for sample in family.samples
        if sample.name == "healthcode_cache_lookups_total"
    }


def test_a_venue_edit_takes_effect_at_once_in_the_editing_process__S2(runtime: Runtime) -> None:
    with _client(runtime) as client:
        staff = Callers(client, runtime).staff(Role.CHECKPOINT)
        token = _code(runtime)
        assert _verify(client, staff, token)["decision"] == "not_checked"
        assert _verify(client, staff, token)["decision"] == "not_checked"  # from the memo
        with runtime.unit_of_work(ADMIN) as uow:
            set_area_risk(uow, "park", RiskLevel.MEDIUM)
        answer = _verify(client, staff, token)
        assert answer["decision"] == "allow"
        assert answer["venue"] == {**answer["venue"], "area_risk": "medium"}  # type: ignore[dict-item]


def test_a_risk_area_recorded_takes_effect_at_once_in_the_recording_process__A6_S2(
    runtime: Runtime, clock: ManualClock
) -> None:
    with _client(runtime) as client:
        staff = Callers(client, runtime).staff(Role.CHECKPOINT)
        token = _code(runtime)
        assert _verify(client, staff, token)["decision"] == "not_checked"
        with runtime.unit_of_work(operator()) as uow:
            record_risk_areas(uow, [RiskArea("330106", RiskLevel.HIGH, clock.now())])
        assert _verify(client, staff, token)["venue"]["area_risk"] == "high"  # type: ignore[index]


def test_another_process_reads_an_edited_venue_within_the_memo_seconds__S2(
    runtime: Runtime, clock: ManualClock
) -> None:
    """Another process (its own runtime, so its own memo, on the same database) is not told of the
    edit: it reads the venue again once its entry is `MEMO_SECONDS` old, on its clock too."""
    other = replace(runtime, memo=type(runtime.memo)())
    with _client(other) as client:
        staff = Callers(client, other).staff(Role.CHECKPOINT)
        token = _code(other)
        assert _verify(client, staff, token)["decision"] == "not_checked"
        with runtime.unit_of_work(ADMIN) as uow:  # the editing process: not `other`
            set_area_risk(uow, "park", RiskLevel.MEDIUM)
        clock.instant += timedelta(seconds=MEMO_SECONDS)
        assert _verify(client, staff, _code(other))["decision"] == "allow"


def test_venue_and_key_memos_count_their_hits_and_misses__D3(runtime: Runtime) -> None:
    with _client(runtime) as client:
        staff = Callers(client, runtime).staff(Role.CHECKPOINT)
        token = _code(runtime)
        before = _lookups(client)
        for _ in range(3):
            _verify(client, staff, token)
        after = _lookups(client)
    gained = {key: after[key] - before.get(key, 0.0) for key in after}
    assert gained[("memo_venue", "miss")] == 1
    assert gained[("memo_venue", "hit")] == 2
    assert gained[("memo_own", "hit")] >= 2  # the code's public key, parsed once
    # Without Redis, colours are not cached in process at all (ADR 0019): no colour lookups.
    assert not [key for key in after if key[0] == "colour"]


def test_the_shared_colour_cache_counts_its_hits__D3(tmp_path: Path, clock: ManualClock) -> None:
    require_redis()
    runtime = _runtime(tmp_path, clock, REDIS_URL)
    try:
        with runtime.unit_of_work(ADMIN) as uow:
            set_area_risk(uow, "park", RiskLevel.MEDIUM)
        with _client(runtime) as client:
            staff = Callers(client, runtime).staff(Role.CHECKPOINT)
            token = _code(runtime)
            first = _verify(client, staff, token)
            second = _verify(client, staff, token)
            lookups = _lookups(client)
    finally:
        runtime.engine.dispose()
    assert first["decision"] == second["decision"] == "allow"
    # The evaluation that saved the colour put it in Redis; the pseudonym was put at issue.
    assert lookups[("colour", "hit")] == 2
    assert lookups[("code_subject", "hit")] == 2
    assert ("colour", "miss") not in lookups


def test_an_unreachable_shared_state_counts_fallbacks_and_still_answers__D3(
    tmp_path: Path, clock: ManualClock
) -> None:
    # Facts recorded while Redis answered; then it is gone (the discard port answers no Redis).
    runtime = _runtime(tmp_path, clock)
    runtime = replace(runtime, shared=RedisState("redis://127.0.0.1:9/0", "test-nowhere"))
    try:
        with runtime.unit_of_work(ADMIN) as uow:
            set_area_risk(uow, "park", RiskLevel.MEDIUM)
        with _client(runtime) as client:
            staff = Callers(client, runtime).staff(Role.CHECKPOINT)
            answer = _verify(client, staff, _code(runtime))
            lookups = _lookups(client)
    finally:
        runtime.engine.dispose()
    assert answer["decision"] == "allow"  # the database answered
    assert lookups[("colour", "fallback")] == 1
    assert lookups[("code_subject", "fallback")] == 1

"""The gauges the alert rules read (D3, ops/prometheus/alerts.yml), scraped from `/metrics` of a
real app: a keyring on disk, an SQLite database, and for the outages a PostgreSQL address and a
Redis address where nothing listens."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from builders import ManualClock, march, operator
from codes_builders import signed_list, signing_key, trusted
from healthcode.db.migrate import upgrade
from healthcode.security.keyring import KEYRING_FILE, init_keyring
from healthcode.services.audit_seal import seal_audit_log
from healthcode.services.codes.gateway import register_issuer, submit_trust_list
from healthcode.services.codes.signing import active_signing_key
from healthcode.services.messages import OutboxSender
from healthcode.services.runtime import Runtime, open_runtime
from healthcode.settings import Settings
from healthcode.tokens.jwk import public_jwk
from healthcode.tokens.keys import KeyStatus
from healthcode.web import create_app
from healthcode.web.access import public
from machine_redis import REDIS_URL, require_redis
from web_builders import METRICS_TOKEN, SCRAPER

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _settings(folder: Path, **changes: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": folder,
        "database_url": f"sqlite:///{folder / 'healthcode.db'}",
        "metrics_token": METRICS_TOKEN,
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


def _runtime(settings: Settings, clock: ManualClock) -> Runtime:
    init_keyring(settings.keys_dir, clock.now())
    return open_runtime(settings, clock)


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(march(20))


@pytest.fixture
def live(tmp_path: Path, clock: ManualClock) -> Iterator[tuple[TestClient, Runtime]]:
    """An app whose gauges are measured on every scrape (no caching), on a keyring on disk."""
    runtime = _runtime(_settings(tmp_path), clock)
    upgrade(runtime.engine)
    app = create_app(runtime.settings, runtime, OutboxSender())
    app.state.metrics.gauges._seconds = 0.0
    with TestClient(app) as client:
        yield client, runtime
    runtime.engine.dispose()


def test_a_healthy_instance_reports_ready_database_and_keyring__D3(
    live: tuple[TestClient, Runtime],
) -> None:
    client, _runtime = live
    samples = scrape(client)
    assert samples[("healthcode_database_up", ())] == 1
    assert samples[("healthcode_ready", ())] == 1
    assert samples[("healthcode_keyring_readable", ())] == 1
    assert samples[("healthcode_audit_unsealed_window_seconds", ())] == 300
    assert samples[("healthcode_evaluation_queue_rows", ())] == 0
    assert samples[("healthcode_evaluation_open_partitions", ())] == 0
    # Nothing configured, nothing probed: no Redis sample at all (an alert on it stays silent).
    assert not [key for key in samples if key[0] == "healthcode_redis_up"]


def test_a_keyring_moved_away_or_opened_to_others_is_reported_unreadable__D3(
    live: tuple[TestClient, Runtime],
) -> None:
    client, runtime = live
    keyring = runtime.settings.keys_dir / KEYRING_FILE
    aside = keyring.with_suffix(".aside")
    keyring.rename(aside)
    assert scrape(client)[("healthcode_keyring_readable", ())] == 0
    aside.rename(keyring)
    assert scrape(client)[("healthcode_keyring_readable", ())] == 1
    keyring.chmod(0o644)  # a restart would refuse it (security/keyring.py)
    assert scrape(client)[("healthcode_keyring_readable", ())] == 0


def test_the_unsealed_tail_is_dated_until_a_head_covers_it__D1_D3(
    live: tuple[TestClient, Runtime], clock: ManualClock
) -> None:
    client, runtime = live
    with runtime.unit_of_work(operator()) as uow:
        uow.audit("test.entry")
    key = ("healthcode_audit_oldest_unsealed_timestamp_seconds", ())
    assert scrape(client)[key] == clock.now().timestamp()
    assert seal_audit_log(runtime) is not None
    assert key not in scrape(client)


def test_the_backlog_counts_queued_persons_and_dates_the_oldest_unfinished_job__D3(
    live: tuple[TestClient, Runtime], clock: ManualClock
) -> None:
    client, runtime = live
    with runtime.unit_of_work(operator()) as uow:
        job = uow.jobs.add_job("area", "queue", "drill", [(0, 99), (100, 199)], "ops", uow.now)
        uow.jobs.enqueue({"p-1": None, "p-2": None, "p-3": None}, "area", job, uow.now)
    samples = scrape(client)
    assert samples[("healthcode_evaluation_queue_rows", ())] == 3
    assert samples[("healthcode_evaluation_open_partitions", ())] == 2
    oldest = ("healthcode_evaluation_oldest_unfinished_job_timestamp_seconds", ())
    assert samples[oldest] == clock.now().timestamp()


def test_keys_and_trusted_lists_are_dated_by_issuer_and_purpose__S1_D3(
    live: tuple[TestClient, Runtime], clock: ManualClock
) -> None:
    client, runtime = live
    root, retired = signing_key("CN-32"), signing_key("CN-32")
    ends = clock.now() + timedelta(days=2)
    with runtime.unit_of_work(operator("security_admin", "trust_registration")) as uow:
        active_signing_key(uow)
        register_issuer(uow, "CN-32", public_jwk(root.public_key))
        submit_trust_list(
            uow, signed_list(root, [trusted(retired, status=KeyStatus.RETIRED, not_after=ends)])
        )
    samples = scrape(client)
    created = ("healthcode_signing_key_created_timestamp_seconds", (("purpose", "code"),))
    assert samples[created] == clock.now().timestamp()
    issuer = (("issuer", "CN-32"),)
    valid = samples[("healthcode_trusted_issuer_keys_valid_until_timestamp_seconds", issuer)]
    assert valid == ends.timestamp()
    received = ("healthcode_trusted_issuer_list_received_timestamp_seconds", issuer)
    assert samples[received] == clock.now().timestamp()


def test_a_scrape_answers_with_the_database_down__D3(tmp_path: Path, clock: ManualClock) -> None:
    """The moment the alerts matter most: a 500 here would read as the target gone, not the
    database; and every reading that needs the database is left out rather than made up."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/healthcode"
    runtime = _runtime(_settings(tmp_path, database_url=url), clock)
    with TestClient(create_app(runtime.settings, runtime, OutboxSender())) as client:
        samples = scrape(client)
        assert client.get("/readyz").status_code == 503
    assert samples[("healthcode_database_up", ())] == 0
    assert samples[("healthcode_ready", ())] == 0
    assert samples[("healthcode_keyring_readable", ())] == 1
    assert "healthcode_evaluation_queue_rows" not in {name for name, _ in samples}


def test_redis_is_probed_for_each_use_configured__D3(tmp_path: Path, clock: ManualClock) -> None:
    require_redis()
    nowhere = f"redis://127.0.0.1:{_free_port()}/0"
    settings = _settings(tmp_path, redis_url=REDIS_URL, task_broker_url=nowhere)
    runtime = _runtime(settings, clock)
    upgrade(runtime.engine)
    with TestClient(create_app(runtime.settings, runtime, OutboxSender())) as client:
        samples = scrape(client)
    assert samples[("healthcode_redis_up", (("use", "shared_state"),))] == 1
    assert samples[("healthcode_redis_up", (("use", "task_broker"),))] == 0
    runtime.engine.dispose()


def test_gauges_are_measured_once_per_interval_whoever_scrapes__D3(
    tmp_path: Path, clock: ManualClock
) -> None:
    runtime = _runtime(_settings(tmp_path), clock)
    upgrade(runtime.engine)
    with TestClient(create_app(runtime.settings, runtime, OutboxSender())) as client:
        first = scrape(client)
        (runtime.settings.keys_dir / KEYRING_FILE).rename(tmp_path / "aside")
        second = scrape(client)
    assert first[("healthcode_keyring_readable", ())] == 1
    assert second[("healthcode_keyring_readable", ())] == 1  # the same reading, not a new one
    runtime.engine.dispose()


def test_requests_refused_by_a_limit_are_counted_by_route_and_code__D2_D3(
    live: tuple[TestClient, Runtime],
) -> None:
    client, _runtime = live
    answers = [
        client.post(
            "/api/v1/auth/staff",
            json={
                "username": "nobody",
                "password": "wrong-password",
                "one_time_password": "000000",
            },
        ).status_code
        for _ in range(7)
    ]
    assert 429 in answers
    samples = scrape(client)
    throttled = [
        (dict(labels), value)
        for (name, labels), value in samples.items()
        if name == "healthcode_throttled_requests_total"
    ]
    assert throttled
    assert all(labels["route"] == "/api/v1/auth/staff" for labels, _ in throttled)
    assert sum(value for _, value in throttled) == answers.count(429)


def test_every_metric_the_alert_rules_read_is_served__D3(
    live: tuple[TestClient, Runtime],
) -> None:
    client, _runtime = live
    client.get("/healthz")  # the request counters have a sample once a request was answered
    served = {
        family.name
        for family in text_string_to_metric_families(client.get("/metrics", headers=SCRAPER).text)
    }
    rules = (Path(__file__).resolve().parents[2] / "ops/prometheus/alerts.yml").read_text()
    read = {
        re.sub(r"_(total|bucket)$", "", name) for name in re.findall(r"\bhealthcode_\w+", rules)
    }
    assert read
    assert read <= served, read - served


def test_server_errors_are_counted_in_one_series_there_from_the_start__D3(
    tmp_path: Path, clock: ManualClock
) -> None:
    runtime = _runtime(_settings(tmp_path), clock)
    upgrade(runtime.engine)
    app = create_app(runtime.settings, runtime, OutboxSender())

    @app.get("/boom", dependencies=[Depends(public("test failure"))])
    def boom() -> None:
        raise RuntimeError("failure")

    with TestClient(app, raise_server_exceptions=False) as client:
        key = ("healthcode_http_server_errors_total", ())
        assert scrape(client)[key] == 0
        assert client.get("/boom").status_code == 500
        assert client.get("/healthz").status_code == 200
        assert scrape(client)[key] == 1
    runtime.engine.dispose()

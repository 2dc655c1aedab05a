"""The web app on a migrated SQLite database, with fresh keys and a hand-moved clock; callers of
every kind sign in through the real API (password + TOTP, one-time code, client credentials)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from builders import ManualClock, march
from healthcode.db.engine import connect
from healthcode.db.migrate import upgrade
from healthcode.security.keyring import generate_keyring
from healthcode.security.vault import Vault
from healthcode.services.messages import OutboxSender
from healthcode.services.runtime import Runtime
from healthcode.settings import Settings
from healthcode.web import create_app
from web_builders import METRICS_TOKEN, Callers


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(march(20))


@pytest.fixture
def runtime(tmp_path: Path, clock: ManualClock) -> Iterator[Runtime]:
    url = f"sqlite:///{tmp_path / 'healthcode.db'}"
    engine = connect(url)
    upgrade(engine)
    vault = Vault(generate_keyring(clock.now()))
    settings = Settings(data_dir=tmp_path, database_url=url)
    yield Runtime(settings, engine, vault, clock, vault.blind_index("audit-chain", "test"))
    engine.dispose()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    settings = replace(runtime.settings, metrics_token=METRICS_TOKEN)
    with TestClient(create_app(settings, runtime, OutboxSender())) as client:
        yield client


@pytest.fixture
def callers(client: TestClient, runtime: Runtime) -> Callers:
    return Callers(client, runtime)


@pytest.fixture(scope="module")
def access_callers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callers]:
    """One app per test module for its access table: every role signs in once, not once a route.

    An access check only asks whether each role gets past a route's door; the routes it calls
    with no or unusable input answer without changing anything the next check depends on.
    """
    folder = tmp_path_factory.mktemp("access")
    clock = ManualClock(march(20))
    url = f"sqlite:///{folder / 'healthcode.db'}"
    engine = connect(url)
    upgrade(engine)
    vault = Vault(generate_keyring(clock.now()))
    settings = Settings(data_dir=folder, database_url=url)
    runtime = Runtime(settings, engine, vault, clock, vault.blind_index("audit-chain", "test"))
    with TestClient(create_app(settings, runtime, OutboxSender())) as client:
        yield Callers(client, runtime)
    engine.dispose()

"""Integration tests run against real databases: an SQLite file and a PostgreSQL server.

PostgreSQL is at HEALTHCODE_TEST_POSTGRES_URL (default: the local server, user postgres, trust
auth). CI sets HEALTHCODE_TEST_POSTGRES=required, and an unreachable server then fails the run;
elsewhere the PostgreSQL half is skipped with a message saying why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from builders import ManualClock, march
from healthcode.db.engine import connect
from healthcode.db.migrate import upgrade
from healthcode.security.keyring import generate_keyring
from healthcode.security.vault import Vault
from healthcode.services.runtime import Runtime
from healthcode.settings import Settings

POSTGRES_ADMIN_URL = os.environ.get(
    "HEALTHCODE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
POSTGRES_REQUIRED = os.environ.get("HEALTHCODE_TEST_POSTGRES") == "required"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of each kind; dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'healthcode.db'}"
        return
    yield from _postgres_database()


def _postgres_database() -> Iterator[str]:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"healthcode_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        message = f"PostgreSQL unreachable at {make_url(POSTGRES_ADMIN_URL).host}: {error.orig}"
        if POSTGRES_REQUIRED:
            pytest.fail(message)
        pytest.skip(message + " (set HEALTHCODE_TEST_POSTGRES=required to make this fail)")
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database."""
    engine = connect(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(march(20))


@pytest.fixture
def runtime(engine: Engine, database_url: str, clock: ManualClock, tmp_path: Path) -> Runtime:
    """The wired system on a migrated database, with fresh keys and a hand-moved clock."""
    vault = Vault(generate_keyring(clock.now()))
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    return Runtime(settings, engine, vault, clock, vault.blind_index("audit-chain", "test"))

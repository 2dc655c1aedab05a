"""Migrations build exactly the schema the code declares, on SQLite and PostgreSQL (A5, D3)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from healthcode.db.engine import connect
from healthcode.db.migrate import current_revision, head_revision, upgrade
from healthcode.db.schema import metadata


def test_models_and_migrations_agree__D3(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_upgrade_reaches_head_and_is_idempotent__D3(database_url: str) -> None:
    engine = connect(database_url)
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_migrations_are_numbered__D3() -> None:
    assert head_revision() is not None
    assert head_revision().isdigit()  # type: ignore[union-attr]

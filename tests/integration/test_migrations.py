"""Migrations build exactly the schema the code declares, on SQLite and PostgreSQL (A5, D3)."""

from __future__ import annotations

import uuid
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from builders import ManualClock, audit_report, march
from healthcode.db.audit import AuditEntry, entry_mac
from healthcode.db.buckets import bucket_of
from healthcode.db.engine import connect
from healthcode.db.migrate import current_revision, head_revision, upgrade
from healthcode.db.schema import metadata
from healthcode.security.keyring import generate_keyring
from healthcode.security.vault import Vault
from healthcode.services.audit_seal import seal_audit_log
from healthcode.services.runtime import Actor, Runtime
from healthcode.settings import Settings


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


def test_entries_chained_before_0006_still_verify_and_are_sealed__D3(
    database_url: str, tmp_path: Path
) -> None:
    """A log written under the old hash chain is upgraded in place: old entries keep their chain,
    new ones get numbers after them, and the first head covers both."""
    engine = connect(database_url)
    upgrade(engine, "0005")
    keyring = generate_keyring(march(20))
    vault = Vault(keyring)
    key = vault.blind_index("audit-chain", "test")
    with engine.begin() as connection:
        prev = bytes(32)
        for seq in (1, 2, 3):
            entry = AuditEntry("tester", "system", "test", "code.read", f"code:{seq}")
            digest = entry_mac(key, seq, march(20), entry, prev)
            values = {**entry.fields(), "seq": seq, "at": march(20)}
            connection.execute(
                text(
                    "INSERT INTO audit_log (seq, at, actor, role, purpose, action, object,"
                    " outcome, detail, prev_hash, hash) VALUES (:seq, :at, :actor, :role,"
                    " :purpose, :action, :object, :outcome, :detail, :prev, :hash)"
                ),
                {**values, "prev": prev, "hash": digest},
            )
            prev = digest
        connection.execute(text("UPDATE audit_head SET seq = 3, hash = :h"), {"h": prev})
    upgrade(engine)
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    runtime = Runtime(settings, engine, vault, ManualClock(march(21)), key)
    with runtime.unit_of_work(Actor("tester", "system", "test")) as uow:
        uow.audit("code.read", "code:4")
    head = seal_audit_log(runtime)
    assert head is not None
    report = audit_report(runtime)
    assert (report.problems, report.entries, report.sealed) == ((), 4, head.tree_size)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    assert any("does not follow" in problem for problem in audit_report(runtime).problems)
    engine.dispose()


def test_0009_gives_every_stored_person_their_bucket__A5(database_url: str) -> None:
    """Persons stored before population jobs get the bucket Python computes, on both databases
    (PostgreSQL computes it in SQL, SQLite from Python), and the column is then NOT NULL."""
    engine = connect(database_url)
    upgrade(engine, "0008")
    ids = [str(uuid.uuid4()) for _ in range(50)]
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO persons (id, id_type, id_index, id_number_sealed, id_number_masked,"
                " created_at) VALUES (:id, 'passport', :index, :sealed, 'E****', :at)"
            ),
            [
                {"id": pid, "index": pid.encode()[-32:], "sealed": b"x", "at": march(20)}
                for pid in ids
            ],
        )
    upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, bucket FROM persons"))
        stored = {row.id: row.bucket for row in rows}
        columns = {c["name"]: c for c in inspect(connection).get_columns("persons")}
    assert stored == {pid: bucket_of(pid) for pid in ids}
    assert len(set(stored.values())) > 1  # spread over buckets
    assert columns["bucket"]["nullable"] is False
    engine.dispose()

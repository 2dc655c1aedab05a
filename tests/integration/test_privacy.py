"""Personal data at rest: sealed, found only by a keyed index, every access audited (D1, D2)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from builders import march, operator, resident_id
from healthcode.db import audit
from healthcode.db.schema import audit_log, persons
from healthcode.domain.facts import Fact, Person, Source, Vaccination
from healthcode.domain.identity import IdType
from healthcode.services.facts import record_facts
from healthcode.services.runtime import Runtime
from healthcode.services.status import code_status

CANARY_NAME = "欧阳金丝雀"
CANARY_ID = resident_id(birth="19770707", seq="123")
CANARY_PHONE = "13912345678"


def canary() -> Person:
    return Person(IdType.RESIDENT_ID, CANARY_ID, CANARY_NAME, CANARY_PHONE, "CHN")


def store_canary(runtime: Runtime) -> None:
    fact = Fact("v-canary", Source.HEALTH, canary(), march(3), Vaccination(1, "灭活疫苗"))
    with runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [fact])


def database_bytes(runtime: Runtime, tmp_path: Path) -> bytes:
    url = make_url(runtime.settings.database_url)
    if url.get_backend_name() == "sqlite":
        runtime.engine.dispose()  # checkpoint the WAL into the file, then read everything
        files = [Path(url.database or ""), *Path(url.database or "").parent.glob("*.db-*")]
        return b"".join(path.read_bytes() for path in files if path.exists())
    dump = shutil.which("pg_dump")
    if dump is None:
        pytest.skip("pg_dump is not installed")
    target = tmp_path / "dump.sql"
    command = [
        dump,
        "--host",
        url.host or "",
        "--username",
        url.username or "",
        "--file",
        str(target),
        url.database or "",
    ]
    subprocess.run(command, check=True, timeout=60)  # noqa: S603 - a fixed tool on our own database
    return target.read_bytes()


@pytest.mark.parametrize(
    "needle", [CANARY_NAME, CANARY_ID, CANARY_PHONE, CANARY_ID[-6:] + CANARY_ID[:4]]
)
def test_personal_data_is_not_in_the_database_in_clear__D2(
    runtime: Runtime, tmp_path: Path, needle: str
) -> None:
    store_canary(runtime)
    stored = database_bytes(runtime, tmp_path)
    assert stored  # the check reads something
    for encoding in ("utf-8", "utf-16-le", "gb18030"):
        assert needle.encode(encoding) not in stored


def test_person_found_by_keyed_blind_index_and_shown_masked__D2(runtime: Runtime) -> None:
    store_canary(runtime)
    with runtime.unit_of_work(operator("operator", "status_query")) as uow:
        found = code_status(uow, canary().key)
    assert found is not None
    assert (found.person.id_number_masked, found.person.name_masked) == (
        "3301**********" + CANARY_ID[-4:],
        "欧***雀",
    )
    with runtime.engine.connect() as connection:
        index = connection.scalar(select(persons.c.id_index))
    assert index == runtime.vault.blind_index("identity-document", f"resident_id:{CANARY_ID}")
    assert index != __import__("hashlib").sha256(CANARY_ID.encode()).digest()


def test_every_write_and_read_is_audited_without_personal_data__D1(runtime: Runtime) -> None:
    store_canary(runtime)
    with runtime.unit_of_work(operator("operator", "status_query")) as uow:
        code_status(uow, canary().key)
    with runtime.engine.connect() as connection:
        entries = connection.execute(select(audit_log).order_by(audit_log.c.seq)).all()
    assert [(e.action, e.role, e.purpose) for e in entries] == [
        ("facts.record", "department_client", "test"),
        ("code.read", "operator", "status_query"),
    ]
    for entry in entries:
        assert CANARY_ID not in str(tuple(entry))
        assert CANARY_NAME not in str(tuple(entry))


def tamper(engine: Engine, statement: object) -> None:
    with engine.begin() as connection:
        connection.execute(statement)  # type: ignore[call-overload]


def chain_problems(runtime: Runtime) -> tuple[str, ...]:
    with runtime.engine.connect() as connection:
        return audit.verify(connection, runtime.audit_key).problems


def audited_twice(runtime: Runtime) -> None:
    store_canary(runtime)
    for _ in range(3):
        with runtime.unit_of_work(operator("operator", "status_query")) as uow:
            code_status(uow, canary().key)


def test_intact_chain_verifies__D3(runtime: Runtime) -> None:
    audited_twice(runtime)
    assert chain_problems(runtime) == ()


def test_edited_entry_is_detected__D3(runtime: Runtime) -> None:
    audited_twice(runtime)
    tamper(
        runtime.engine, update(audit_log).where(audit_log.c.seq == 2).values(actor="someone else")
    )
    assert chain_problems(runtime) == ("entry 2: content does not match its hash (edited)",)


def test_deleted_entry_is_detected__D3(runtime: Runtime) -> None:
    audited_twice(runtime)
    tamper(runtime.engine, audit_log.delete().where(audit_log.c.seq == 2))
    problems = chain_problems(runtime)
    assert any("entry 3: expected entry 2" in p for p in problems)


def test_deleted_last_entry_is_detected__D3(runtime: Runtime) -> None:
    audited_twice(runtime)
    tamper(runtime.engine, audit_log.delete().where(audit_log.c.seq == 4))
    assert any(p.startswith("head:") for p in chain_problems(runtime))


def test_reordered_entries_are_detected__D3(runtime: Runtime) -> None:
    audited_twice(runtime)
    # Swap the contents of entries 2 and 3 (keeping their numbers): both now break the chain.
    with runtime.engine.begin() as connection:
        rows = {
            r.seq: r
            for r in connection.execute(select(audit_log).where(audit_log.c.seq.in_([2, 3])))
        }
        for seq, other in ((2, 3), (3, 2)):
            values = {
                k: getattr(rows[other], k) for k in ("at", "action", "purpose", "hash", "prev_hash")
            }
            connection.execute(update(audit_log).where(audit_log.c.seq == seq).values(**values))
    assert len(chain_problems(runtime)) >= 2


def test_a_chain_rebuilt_without_the_key_does_not_verify__D3(runtime: Runtime) -> None:
    audited_twice(runtime)
    forged_key = b"\x00" * 32
    with runtime.engine.begin() as connection:
        prev = audit.GENESIS
        for row in connection.execute(select(audit_log).order_by(audit_log.c.seq)).all():
            entry = audit.AuditEntry(
                row.actor, row.role, row.purpose, "forged", row.object, row.outcome, row.detail
            )
            digest = audit.entry_hash(forged_key, prev, row.seq, row.at, entry)
            connection.execute(
                update(audit_log)
                .where(audit_log.c.seq == row.seq)
                .values(action="forged", prev_hash=prev, hash=digest)
            )
            prev = digest
        connection.execute(text("UPDATE audit_head SET hash = :h"), {"h": prev})
    assert chain_problems(runtime)


def test_a_failing_statement_names_no_bound_value__D2(engine: Engine) -> None:
    """Errors reach logs: the statement may be named, the values bound to it never."""
    with pytest.raises(DBAPIError) as raised, engine.begin() as connection:
        connection.execute(text("SELECT * FROM no_such_table WHERE x = :x"), {"x": CANARY_ID})
    assert CANARY_ID not in str(raised.value)

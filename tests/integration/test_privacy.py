"""Personal data at rest: sealed, found only by a keyed index, every access audited (D1, D2)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from builders import march, on_register, operator, resident_id
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
    """The canary as a department fact and in the population register (name, phone on record)."""
    fact = Fact("v-canary", Source.HEALTH, canary(), march(3), Vaccination(1, "灭活疫苗"))
    with runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [fact])
        on_register(uow, canary(), household="H-canary", phone=CANARY_PHONE)


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
        ("register.record", "department_client", "test"),
        ("code.read", "operator", "status_query"),
    ]
    for entry in entries:
        assert CANARY_ID not in str(tuple(entry))
        assert CANARY_NAME not in str(tuple(entry))


def test_a_failing_statement_names_no_bound_value__D2(engine: Engine) -> None:
    """Errors reach logs: the statement may be named, the values bound to it never."""
    with pytest.raises(DBAPIError) as raised, engine.begin() as connection:
        connection.execute(text("SELECT * FROM no_such_table WHERE x = :x"), {"x": CANARY_ID})
    assert CANARY_ID not in str(raised.value)

"""The end-of-epidemic destruction (D1), on SQLite and PostgreSQL, with a keyring on disk."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from builders import ManualClock, on_register, operator
from healthcode.db.accounts_store import ResidentStore
from healthcode.db.audit_verify import HEAD_TYPE
from healthcode.db.schema import (
    audit_log,
    code_subjects,
    metadata,
    persons,
    scanner_devices,
    signing_keys,
)
from healthcode.db.sessions_store import SessionStore, StoredSession
from healthcode.db.venues_store import VenueStore
from healthcode.demo.loading import Loader, load_population
from healthcode.demo.population import generate
from healthcode.domain.appeals import AppealCategory, Language
from healthcode.domain.destruction import DELETION_ORDER, KEPT
from healthcode.domain.facts import Person
from healthcode.domain.identity import IdType
from healthcode.security.keyring import KEYRING_FILE, KeyringError, init_keyring, load_keyring
from healthcode.security.vault import Vault
from healthcode.services.appeals.filing import file_appeal_by_call
from healthcode.services.codes.issuing import issue_code
from healthcode.services.destruction import deletion
from healthcode.services.destruction.deletion import (
    DestructionError,
    destroy_personal_data,
    plan_destruction,
    row_counts,
    verify_report,
)
from healthcode.services.households.binding import apply_for_account
from healthcode.services.households.links import FamilyMember
from healthcode.services.messages import OutboxSender
from healthcode.services.population_jobs import JobKind, start_queued
from healthcode.services.refusals import Refused
from healthcode.services.runtime import AUDIT_CHAIN, Runtime, open_runtime
from healthcode.services.sign_in import send_sign_in_code, sign_in_client
from healthcode.settings import Settings
from healthcode.tokens.jwk import public_key_from_jwk
from healthcode.tokens.jws import verify_jws
from integration.test_audit_log import sealed_up_to
from integration.test_privacy import (
    CANARY_ID,
    CANARY_NAME,
    CANARY_PHONE,
    canary,
    database_bytes,
    store_canary,
)

BATCH = 7  # small, so every table takes several batches and the key walk is exercised
WHO = operator("security_admin", "end_of_epidemic_destruction")


@pytest.fixture
def keyed(engine: Engine, database_url: str, clock: ManualClock, tmp_path: Path) -> Runtime:
    """The runtime with its keyring in a file, as `healthcode destroy` finds it."""
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    init_keyring(settings.keys_dir, clock.now())
    vault = Vault(load_keyring(settings.keys_dir))
    return Runtime(settings, engine, vault, clock, vault.blind_index(AUDIT_CHAIN, "chain key v1"))


def populate(runtime: Runtime) -> None:
    """A small demo province plus the canary with an account, a code, a scan and two calls."""
    load_population(Loader(runtime, "tester"), generate(1, runtime.clock.now(), 40))
    store_canary(runtime)
    with runtime.unit_of_work(operator("resident", "apply for a health code")) as uow:
        ResidentStore(uow.connection, runtime.vault).add("account-canary", CANARY_PHONE, uow.now)
        on_register(uow, canary(), phone=CANARY_PHONE)
        apply_for_account(uow, "account-canary", canary(), member=None)
        # A binding of someone not on the register: it waits, sealed (issue #11).
        stranger = Person(IdType.RESIDENT_ID, "330106198506122133", "某人")
        apply_for_account(uow, "account-canary", stranger, member=FamilyMember.OTHER, consent=True)
        send_sign_in_code(uow, OutboxSender(), CANARY_PHONE)
        session = StoredSession("resident", "account-canary", uow.now, uow.now + timedelta(hours=1))
        SessionStore(uow.connection, runtime.vault).add("a-bearer-token", session)
    # A failed sign-in on record: the refusal commits with its unit of work.
    with pytest.raises(Refused), runtime.unit_of_work(operator("client", "sign in")) as uow:
        sign_in_client(uow, "someone-guessing", "a wrong secret")
    for _ in range(2):  # the second call is merged into the first: a self-reference to delete
        with runtime.unit_of_work(operator("hotline-operator", "appeal intake")) as uow:
            file_appeal_by_call(
                uow,
                canary().key,
                CANARY_PHONE,
                AppealCategory.WRONG_COLOUR,
                "我没有症状",
                Language.ZH,
            )
    with runtime.unit_of_work(operator("resident", "show code")) as uow:
        issue_code(uow, canary().key)
        subject = uow.connection.scalar(select(code_subjects.c.subject))
        device = uow.connection.execute(select(scanner_devices)).first()
        assert device is not None
        VenueStore(uow.connection).add_scan(device.id, device.venue_id, subject, uow.now, "allow")
        uow.scan_nonces.first_time(device.id, bytes(16), uow.now)  # the report's nonce
    with runtime.unit_of_work(operator("area_publisher", "area change")) as uow:
        # A population job not run yet: its queue rows and partitions name persons.
        person_id = str(uow.connection.scalar(select(persons.c.id).limit(1)))
        start_queued(uow, JobKind.AREA, "canary area", {person_id: None}, "area")
    with runtime.unit_of_work(operator("population_job", "re-evaluation")) as uow:
        # Every shard's facts in columns, sealed (ADR 0013): derived from facts, destroyed too.
        for shard in set(uow.connection.scalars(select(persons.c.bucket))):
            uow.fact_snapshots.build(shard, uow.now)


def destroy(runtime: Runtime) -> dict[str, Any]:
    kept: list[dict[str, str]] = []
    report = destroy_personal_data(runtime, WHO, kept.append, BATCH)
    assert kept == [report.document]
    return report.payload


def counts(runtime: Runtime) -> dict[str, int]:
    with runtime.engine.connect() as connection:
        return {
            name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in metadata.tables.items()
        }


def test_no_personal_row_is_left_and_the_canary_is_nowhere__D1(
    keyed: Runtime, tmp_path: Path
) -> None:
    populate(keyed)
    before = counts(keyed)
    assert all(before[name] > 0 for name in DELETION_ORDER if name != "appeal_overrides")
    with keyed.engine.connect() as connection:
        sealed_name = connection.scalar(select(persons.c.name_sealed).limit(1))
    id_index = keyed.vault.blind_index("identity-document", f"resident_id:{CANARY_ID}")
    destroy(keyed)
    after = counts(keyed)
    assert {name: after[name] for name in DELETION_ORDER} == dict.fromkeys(DELETION_ORDER, 0)
    assert {name: after[name] for name in KEPT if name.startswith(("venue", "risk"))} == {
        name: before[name] for name in KEPT if name.startswith(("venue", "risk"))
    }
    stored = database_bytes(keyed, tmp_path)
    assert stored
    for needle in (CANARY_NAME, CANARY_ID, CANARY_PHONE):
        for encoding in ("utf-8", "utf-16-le", "gb18030"):
            assert needle.encode(encoding) not in stored
    for value in (id_index, sealed_name or b"?"):
        assert value not in stored
        assert value.hex().encode() not in stored  # pg_dump writes bytea in hex


def test_aggregates_are_kept_with_small_cells_hidden__D1(keyed: Runtime) -> None:
    populate(keyed)
    kept = destroy(keyed)["aggregates"]
    assert kept["small_cells"] == "<5"
    assert kept["appeals_by_category_and_outcome"] == [
        {"category": "wrong_colour", "outcome": "open", "count": "<5"}
    ]
    cells = [
        *kept["facts_by_type_and_month"],
        *kept["applications_by_channel"],
        *kept["codes_by_prefecture_and_colour"]["by_prefecture"],
        *kept["colour_moves_by_day"],
    ]
    numbers = [value for cell in cells for key, value in cell.items() if key not in ("type",)]
    shown = [value for value in numbers if isinstance(value, int)]
    assert shown
    assert all(value == 0 or value >= 5 for value in shown)
    assert "<5" in numbers
    assert {cell["type"] for cell in kept["facts_by_type_and_month"]} >= {"vaccination", "trip"}
    assert all(len(cell["prefecture"]) in (0, 4) for cell in cells if "prefecture" in cell)


def test_the_report_verifies_under_the_root_key_and_lists_what_went__D1(keyed: Runtime) -> None:
    populate(keyed)
    before = counts(keyed)
    with keyed.engine.connect() as connection:
        entries_before = connection.scalar(select(func.count()).select_from(audit_log))
    # Sealed first: on a busy shared PostgreSQL server the run's own first seal may find nothing
    # final yet, and its report then cites the head sealed here.
    sealed_up_to(keyed, int(entries_before or 0))
    kept: list[dict[str, str]] = []
    destroy_personal_data(keyed, WHO, kept.append, BATCH)
    root = signing_root(keyed)
    payload = verify_report(kept[0], root)
    assert payload["deleted_rows"] == {name: before[name] for name in DELETION_ORDER}
    assert payload["kept_tables"] == KEPT
    assert payload["actor"]["purpose"] == "end_of_epidemic_destruction"
    assert payload["keyring"]["key_versions_destroyed"] == [1]
    chain = payload["audit_chain"]
    # A head covers final entries only: on a shared PostgreSQL server it may lag behind the log.
    assert 0 < chain["before"]["entries"] <= entries_before
    assert chain["after"]["entries"] >= chain["before"]["entries"]
    assert chain["verified_at_start"]["problems"] == 0
    seal = public_key_from_jwk(chain["seal_key"])  # the heads verify once the keyring is gone
    for head in (chain["before"], chain["after"]):
        verify_jws(head["signed"], seal, typ=HEAD_TYPE)
    forged = {**kept[0], "payload": kept[0]["payload"][:-4] + "AAAA"}
    with pytest.raises(DestructionError):
        verify_report(forged, root)


def signing_root(runtime: Runtime) -> object:
    """The root's public half, from the kept signing_keys table, as anyone can read it."""
    with runtime.engine.connect() as connection:
        return connection.scalar(
            select(signing_keys.c.public_jwk).where(signing_keys.c.purpose == "trust_list")
        )


def test_the_keyring_is_gone_and_the_system_says_why__D1(keyed: Runtime) -> None:
    populate(keyed)
    destroy(keyed)
    assert not (keyed.settings.keys_dir / KEYRING_FILE).exists()
    with pytest.raises(KeyringError, match="destroyed"):
        open_runtime(keyed.settings)
    with pytest.raises(KeyringError, match="destroyed"):
        init_keyring(keyed.settings.keys_dir, keyed.clock.now())


def test_the_dry_run_changes_nothing__D1(keyed: Runtime) -> None:
    populate(keyed)
    before = counts(keyed)
    with keyed.unit_of_work(WHO) as uow:
        plan = plan_destruction(uow, BATCH)
    after = counts(keyed)
    assert plan.rows == {name: before[name] for name in DELETION_ORDER}
    assert plan.key_versions == (1,)
    # Counting facts by type opened them: that read is audited, and nothing else changed.
    assert after == {**before, "audit_log": before["audit_log"] + 1}
    assert load_keyring(keyed.settings.keys_dir).keys


def test_a_run_that_died_half_way_resumes_with_its_first_aggregates__D1(
    keyed: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(keyed)
    before = counts(keyed)
    with keyed.unit_of_work(WHO) as uow:
        planned = plan_destruction(uow, BATCH).aggregates

    def crash(*_: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(deletion, "_finish", crash)
    with pytest.raises(RuntimeError):
        destroy_personal_data(keyed, WHO, lambda _: None, BATCH)
    with keyed.engine.connect() as connection:
        assert row_counts(connection)["persons"] == 0
    monkeypatch.undo()
    payload = destroy(keyed)
    assert payload["aggregates"] == planned
    assert payload["deleted_rows"] == {name: before[name] for name in DELETION_ORDER}


def test_a_report_lost_on_its_way_is_given_again_before_the_keys_go__D1(keyed: Runtime) -> None:
    populate(keyed)

    def full_disk(_: dict[str, str]) -> None:
        raise OSError("no space left")

    with pytest.raises(OSError, match="no space"):
        destroy_personal_data(keyed, WHO, full_disk, BATCH)
    assert load_keyring(keyed.settings.keys_dir).keys  # nothing shredded without a kept report
    kept: list[dict[str, str]] = []
    again = destroy_personal_data(keyed, WHO, kept.append, BATCH)
    assert verify_report(kept[0], signing_root(keyed)) == again.payload
    assert again.payload["deleted_rows"]["persons"] > 0

"""`healthcode demo` on an empty data directory, as a newcomer runs it (S3, S5, A4)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from healthcode.db.accounts_store import ResidentStore
from healthcode.demo.loading import person
from healthcode.demo.residents import (
    FIXED_RESIDENTS,
    GREEN_RESIDENT,
    GREEN_RESIDENT_PARENT,
    RED_RESIDENT,
    YELLOW_RESIDENT,
)
from healthcode.demo.staff import PASSWORDS_FILE
from healthcode.foreign.trust import load_trust_dir
from healthcode.foreign.verify import verify_foreign
from healthcode.security.passwords import password_matches
from healthcode.services.households.binding import apply_for_account
from healthcode.services.households.links import AccountApplication, FamilyMember
from healthcode.services.households.pending import PendingBinding
from healthcode.services.runtime import Actor, open_runtime
from healthcode.settings import Settings

CLOCK = "2021-03-20T12:00:00+08:00"
# A day `make run` may be run on: the sample NZ COVID Pass is valid until 2031-11-02, the SMART
# Health Card has no expiry (the demo's own clock, above, predates the pass).
SAMPLES_CHECKED_AT = datetime(2026, 12, 1, tzinfo=UTC)
A_WEEK_LATER = "2021-03-27T12:00:00+08:00"
Loaded = tuple[Path, dict[str, Any]]  # the data directory and the first run's summary


def healthcode(data_dir: Path, *args: str, clock: str = CLOCK) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "HEALTHCODE_DATA_DIR": str(data_dir), "HEALTHCODE_CLOCK": clock}
    environment.pop("HEALTHCODE_DATABASE_URL", None)  # the embedded SQLite database
    return subprocess.run(  # noqa: S603 - our own command, with the test's own arguments
        [sys.executable, "-m", "healthcode", *args],
        capture_output=True, text=True, check=False, timeout=300, env=environment,
    )  # fmt: skip


def demo(data_dir: Path, *args: str, clock: str = CLOCK) -> dict[str, Any]:
    result = healthcode(data_dir, "demo", "--json", *args, clock=clock)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def status(data_dir: Path, id_number: str) -> dict[str, Any]:
    result = healthcode(
        data_dir, "status", "--id-type", "resident_id", "--id-number", id_number, "--json"
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """One demo of the default size, loaded into a fresh data directory without keys or schema."""
    data_dir = tmp_path_factory.mktemp("demo")
    return data_dir, demo(data_dir)


def test_the_demo_loads_everything_and_a_second_run_adds_nothing__S5(
    loaded: Loaded,
) -> None:
    data_dir, first = loaded
    added = first["added"]
    assert added["facts"] > 1000
    assert added["applications"] > 200
    assert (added["venues"], added["scanners"], added["institutions"]) == (30, 30, 2)
    assert sum(first["colours"].values()) == 300 + len(FIXED_RESIDENTS)
    # A week later: the facts are regenerated for the instant the demo was loaded at, not for now.
    again = demo(data_dir, clock=A_WEEK_LATER)
    assert set(again["added"].values()) == {0}
    assert again["already_there"] == first["added"]
    assert (again["conflicts"], again["colours"]) == (0, first["colours"])
    assert again["foreign_trust"]["added"] == []  # the trust folder's files are left alone


def test_the_fixed_residents_have_their_colours__A4(
    loaded: Loaded,
) -> None:
    data_dir, summary = loaded
    shown = {item["id_number"]: item["colour"] for item in summary["demo_residents"]}
    for resident in FIXED_RESIDENTS:
        assert shown[resident.id_number] == resident.colour
    assert status(data_dir, GREEN_RESIDENT.id_number)["color"] == "green"
    assert status(data_dir, YELLOW_RESIDENT.id_number)["rules"] == ["yellow-symptoms"]
    red = status(data_dir, RED_RESIDENT.id_number)
    assert (red["color"], red["measure"]) == ("red", "centralized_isolation")


def test_the_parent_is_known_and_her_son_can_apply_for_her__S3(
    loaded: Loaded,
) -> None:
    data_dir, _ = loaded
    assert status(data_dir, GREEN_RESIDENT_PARENT.id_number)["color"] == "green"
    applied = healthcode(
        data_dir, "apply", "--channel", "web", "--json",
        "--id-type", "resident_id", "--id-number", GREEN_RESIDENT.id_number,
        "--phone", str(GREEN_RESIDENT.phone), "--relationship", "child",
        "--for-id-type", "resident_id", "--for-id-number", GREEN_RESIDENT_PARENT.id_number,
    )  # fmt: skip
    assert applied.returncode == 0, applied.stderr
    taken = json.loads(applied.stdout)
    assert (taken["color"], taken["relationship"], taken["channel"]) == ("green", "child", "web")


def test_another_seed_or_instant_is_refused_on_a_loaded_database__S5(
    loaded: Loaded,
) -> None:
    data_dir, _ = loaded
    for option in (["--seed", "2"], ["--at", "2021-04-01T00:00:00+08:00"]):
        refused = healthcode(data_dir, "demo", *option)
        assert refused.returncode == 2
        assert "fresh HEALTHCODE_DATA_DIR" in refused.stderr


def test_residents_with_a_phone_hold_their_own_code_on_an_account__A1_S3(
    loaded: Loaded,
) -> None:
    data_dir, _ = loaded
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'healthcode.db'}")
    runtime = open_runtime(settings)
    with runtime.unit_of_work(Actor("tester", "auditor", "test")) as uow:
        store = ResidentStore(uow.connection, runtime.vault)
        for resident in FIXED_RESIDENTS:
            account = None if resident.phone is None else store.account_for(resident.phone)
            links = [] if account is None else store.links(account)
            expected = [] if resident.phone is None else ["self"]
            assert [link.relationship for link in links] == expected
    runtime.engine.dispose()


def test_the_son_binds_his_mother_at_once_and_a_stranger_waits__S3_D2(
    loaded: Loaded, tmp_path: Path
) -> None:
    """The README's journey on the demo's register: same household, no phone, bound at once; 张伟
    knowing 陈晓明's ID number gets a binding that waits and shows nothing (issue #11)."""
    data_dir = tmp_path / "copy"
    shutil.copytree(loaded[0], data_dir)  # the module's demo stays as loaded
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'healthcode.db'}")
    runtime = open_runtime(settings)
    mother = person(GREEN_RESIDENT_PARENT.record)
    with runtime.unit_of_work(Actor("tester", "resident", "apply for a health code")) as uow:
        son = uow.residents.account_for(str(GREEN_RESIDENT.phone))
        zhang = uow.residents.account_for(str(RED_RESIDENT.phone))
        assert son is not None
        assert zhang is not None
        bound = apply_for_account(uow, son, mother, member=FamilyMember.PARENT, consent=True)
        stranger = person(GREEN_RESIDENT.record)
        waits = apply_for_account(uow, zhang, stranger, member=FamilyMember.OTHER, consent=True)
    runtime.engine.dispose()
    assert isinstance(bound, AccountApplication)
    assert bound.application.colour == "green"
    assert isinstance(waits, PendingBinding)


def test_staff_passwords_are_shown_on_every_run_and_replaced_when_lost__S5(
    loaded: Loaded,
) -> None:
    """A newcomer who missed the first run's output finds the passwords on the next one."""
    data_dir, first = loaded
    passwords = {account["login"]: account["password"] for account in first["staff_accounts"]}
    kept = data_dir / PASSWORDS_FILE
    again = {account["login"]: account["password"] for account in demo(data_dir)["staff_accounts"]}
    assert all(passwords.values())
    assert again == passwords
    assert kept.stat().st_mode & 0o777 == 0o600  # like the keyring: its owner's only
    kept.unlink()  # lost: the demo gives its accounts new passwords rather than none
    renewed = {
        account["login"]: account["password"] for account in demo(data_dir)["staff_accounts"]
    }
    assert set(renewed) == set(passwords)
    assert all(renewed[login] != passwords[login] for login in passwords)
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'healthcode.db'}")
    runtime = open_runtime(settings)
    with runtime.unit_of_work(Actor("test", "security_admin", "check demo passwords")) as uow:
        for login, password in renewed.items():
            account = uow.staff.by_username(login)
            assert account is not None
            assert password_matches(account.password_hash, password)
            assert not password_matches(account.password_hash, passwords[login])
    runtime.engine.dispose()


def test_border_staff_and_foreign_trust_let_the_sample_certificates_verify__A8_S1(
    loaded: Loaded,
) -> None:
    data_dir, summary = loaded
    roles = {account["login"]: account["role"] for account in summary["staff_accounts"]}
    assert roles["border"] == "border-staff"
    assert sorted(summary["foreign_trust"]["added"]) == [
        "nzcp-example-issuer.did.json",
        "shc-example-issuer.jwks.json",
    ]
    trust = load_trust_dir(data_dir / "foreign-trust")  # what the server reads
    examples = data_dir / "demo" / "foreign-examples"
    assert summary["foreign_trust"]["examples"] == str(examples)
    for name, format in (("nzcp-example", "nzcp"), ("shc-example", "shc")):
        text = (examples / f"{name}.txt").read_text(encoding="utf-8").strip()
        with Image.open(examples / f"{name}.png") as picture:  # what a checker chooses to scan
            assert [symbol.text for symbol in zxingcpp.read_barcodes(picture)] == [text]
        verdict = verify_foreign(text, trust, SAMPLES_CHECKED_AT)
        assert (verdict.format, verdict.valid) == (format, True), verdict.reasons
    assert (examples / "ORIGIN.md").is_file()

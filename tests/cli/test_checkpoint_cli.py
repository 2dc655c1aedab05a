"""Applying, venues, scanners and checkpoint flows end to end, as staff run them (A1, S4, D2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from builders import resident_id
from healthcode.tokens.jwk import public_jwk

GRANDMA = resident_id(birth="19380303", seq="101")
DAUGHTER = resident_id(birth="19700303", seq="001")
STRANGER = resident_id(birth="19450404", seq="202")
NEGATIVE_TEST = {
    "event_id": "health-t1",
    "source": "health",
    "type": "test",
    "occurred_at": "2021-03-18T18:00:00+08:00",
    "person": {"id_type": "resident_id", "id_number": GRANDMA, "name": "赵桂英"},
    "kind": "nucleic_acid",
    "result": "negative",
    "sampled_at": "2021-03-18T09:00:00+08:00",
}


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "HEALTHCODE_DATA_DIR": str(data_dir),
        "HEALTHCODE_CLOCK": "2021-03-20T12:00:00+08:00",
        "HEALTHCODE_ACTOR": "staff-7",
    }
    environment.pop("HEALTHCODE_DATABASE_URL", None)  # the embedded SQLite database
    return subprocess.run(  # noqa: S603 - our own command, with the tests' own arguments
        [sys.executable, "-m", "healthcode", *args],
        capture_output=True, text=True, check=False, timeout=120, env=environment,
    )  # fmt: skip


def ok(data_dir: Path, *args: str) -> dict[str, object]:
    result = run(data_dir, *args, "--json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    for command in (["keys", "init"], ["db", "upgrade"]):
        result = run(tmp_path, *command)
        assert result.returncode == 0, result.stderr
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(NEGATIVE_TEST, ensure_ascii=False) + "\n", encoding="utf-8")
    assert run(tmp_path, "import", "events", str(events)).returncode == 0
    return tmp_path


def test_a_daughter_applies_for_her_mother_and_only_masked_forms_are_shown__A1_S3_D2(
    data_dir: Path,
) -> None:
    shown = ok(
        data_dir, "apply", "--id-type", "resident_id", "--id-number", DAUGHTER, "--name", "李小红",
        "--channel", "zhelibang", "--for-id-type", "resident_id", "--for-id-number", GRANDMA,
        "--relationship", "child",
    )  # fmt: skip
    assert (shown["relationship"], shown["channel"], shown["color"]) == (
        "child",
        "zhelibang",
        "green",
    )
    assert shown["applicant"] == {
        "id_type": "resident_id",
        "id_number": DAUGHTER[:4] + "*" * 10 + DAUGHTER[-4:],
        "name": "李*红",
    }
    assert GRANDMA not in json.dumps(shown)
    refused = run(
        data_dir, "apply", "--id-type", "resident_id", "--id-number", GRANDMA,
        "--channel", "web", "--international",
    )  # fmt: skip
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1
    assert "domestic version" in refused.stderr


def test_every_alternative_at_a_registered_venue__S4(data_dir: Path) -> None:
    ok(data_dir, "venues", "add", "--id", "home-1", "--name", "福利院", "--category",
       "elderly_home", "--region", "330106", "--area-risk", "low")  # fmt: skip
    where = ("--venue-id", "home-1", "--purpose", "entry_check")
    person = ("--id-type", "resident_id", "--id-number", GRANDMA)
    named = (*person, "--name", "赵桂英")
    tested = ok(data_dir, "checkpoint", "test", *named, *where)
    assert (tested["decision"], tested["method"]) == ("allow", "test")
    assert tested["shown"] == {
        "masked_name": "赵*英",
        "test_sampled_at": "2021-03-18T09:00:00+08:00",
    }
    registered = ok(data_dir, "checkpoint", "register", *named, *where)
    assert registered["decision"] == "allow"
    carded = ok(data_dir, "checkpoint", "itinerary", *named, "--shows-risk-area", *where)
    assert (carded["decision"], carded["clauses"]) == ("deny", ["S4", "S1"])
    stranger = ok(
        data_dir, "checkpoint", "register", "--id-type", "resident_id", "--id-number", STRANGER,
        "--name", "王五", *where,
    )  # fmt: skip
    assert (stranger["decision"], stranger["clauses"]) == ("allow", ["S4", "A4", "M5"])
    ok(data_dir, "institutions", "add", "--id", "lingyin", "--name", "灵隐街道社区",
       "--kind", "community", "--region", "330106")  # fmt: skip
    certified = run(
        data_dir, "institutions", "certify", "--institution", "lingyin", *person,
        "--statement", "low_risk_resident",
    )  # fmt: skip
    assert certified.returncode == 0, certified.stderr
    text = certified.stdout.strip()
    assert text.startswith("HZC1:")
    checked = ok(data_dir, "checkpoint", "certificate", text, *where)
    assert (checked["decision"], checked["shown"]["institution"]) == ("allow", "灵隐街道社区")  # type: ignore[index]
    for output in (tested, registered, carded, checked):
        assert GRANDMA not in json.dumps(output)
    verified = run(data_dir, "audit", "verify", "--json")
    assert json.loads(verified.stdout)["problems"] == []


def test_scanners_register_with_their_public_key__D2(data_dir: Path) -> None:
    ok(data_dir, "venues", "add", "--id", "mall-1", "--name", "银泰", "--category", "mall",
       "--region", "330106", "--area-risk", "medium")  # fmt: skip
    key_file = data_dir / "gate-1.jwk"
    key_file.write_text(
        json.dumps(public_jwk(ec.generate_private_key(ec.SECP256R1()).public_key()))
    )
    added = ok(data_dir, "devices", "add", "--id", "gate-1", "--venue-id", "mall-1",
               "--public-key", str(key_file))  # fmt: skip
    assert (added["venue_id"], added["flagged_at"]) == ("mall-1", None)
    listed = run(data_dir, "devices", "list", "--json")
    assert [device["id"] for device in json.loads(listed.stdout)] == ["gate-1"]
    venues = json.loads(run(data_dir, "venues", "list", "--json").stdout)
    assert venues[0]["area_risk"] == "medium"


def test_staff_input_errors_are_one_line_and_exit_2__S4_D2(data_dir: Path) -> None:
    wrong = GRANDMA[:-1] + ("1" if GRANDMA[-1] != "1" else "2")
    for args in (
        ["checkpoint", "register", "--id-type", "resident_id", "--id-number", wrong,
         "--name", "赵桂英", "--venue", "mall", "--purpose", "entry_check"],
        ["checkpoint", "register", "--id-type", "resident_id", "--id-number", GRANDMA,
         "--name", "赵桂英", "--purpose", "entry_check"],
        ["checkpoint", "test", "--id-type", "resident_id", "--id-number", GRANDMA,
         "--name", "赵桂英", "--venue-id", "nowhere", "--purpose", "entry_check"],
        ["venues", "add", "--id", "x", "--name", "x", "--category", "mall", "--region", "999999",
         "--area-risk", "low"],
    ):  # fmt: skip
        result = run(data_dir, *args)
        assert result.returncode == 2, args
        assert result.stderr.startswith("healthcode: error: ")
        assert result.stderr.count("\n") == 1
        assert wrong not in result.stderr

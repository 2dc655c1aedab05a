"""The `healthcode` command as users and scripts call it (SPEC §2): real processes, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from builders import resident_id

SAMPLES = Path(__file__).parents[2] / "src" / "healthcode" / "samples"
AT = "2021-03-20T12:00:00+08:00"
DECISION_KEYS = {"person", "color", "rules", "clauses", "measure", "flags", "next_review_at"}


def healthcode(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command, with the tests' own arguments
        [sys.executable, "-m", "healthcode", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def assess_samples(*extra: str) -> subprocess.CompletedProcess[str]:
    return healthcode(
        "assess",
        "--events", str(SAMPLES / "events.jsonl"),
        "--areas", str(SAMPLES / "risk_areas.jsonl"),
        "--severe", str(SAMPLES / "severe_areas.jsonl"),
        "--at", AT,
        *extra,
    )  # fmt: skip


def event(event_id: str, **fields: object) -> dict[str, object]:
    return {
        "event_id": event_id,
        "source": "health",
        "type": "diagnosis",
        "status": "confirmed",
        "person": {"id_type": "resident_id", "id_number": resident_id()},
        "occurred_at": "2021-03-10T08:00:00+08:00",
    } | fields


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def test_assess_prints_one_decision_per_person_in_first_appearance_order__A2() -> None:
    result = assess_samples("--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert all(set(line) == DECISION_KEYS for line in lines)
    first_seen: list[str] = []
    for line in (SAMPLES / "events.jsonl").read_text("utf-8").splitlines():
        number = json.loads(line)["person"]["id_number"]
        if number not in first_seen:
            first_seen.append(number)
    assert [line["person"]["id_number"] for line in lines] == first_seen
    assert {line["color"] for line in lines} == {"red", "yellow", "green"}


def test_assess_explain_gives_reasons_in_chinese_and_english__A4() -> None:
    result = assess_samples("--json", "--explain")
    decisions = [json.loads(line) for line in result.stdout.splitlines()]
    red = next(d for d in decisions if d["color"] == "red")
    assert red["ruleset"] == "zhejiang-2021-36@1.1.0"
    assert {"zh", "en"} <= set(red["explanation"][0]["to_green"])


def test_bad_records_are_reported_one_line_each_and_the_rest_assessed__S5(tmp_path: Path) -> None:
    events = write_jsonl(
        tmp_path / "events.jsonl",
        [
            event("ok-1"),
            event("bad-1", person={"id_type": "resident_id", "id_number": "330106198001011234"}),
            event("bad-2", status="cured"),
        ],
    )
    result = healthcode("assess", "--events", str(events), "--at", AT, "--json")
    assert result.returncode == 2
    assert len(result.stdout.splitlines()) == 1
    errors = result.stderr.splitlines()
    assert len(errors) == 2
    assert "line 2" in errors[0]
    assert "bad-1" in errors[0]
    assert "person.id_number" in errors[0]
    assert "line 3" in errors[1]
    assert "status" in errors[1]
    assert "330106198001011234" not in result.stderr  # personal data never echoed


def test_repeated_record_counts_once_and_conflict_is_rejected__S5(tmp_path: Path) -> None:
    events = write_jsonl(
        tmp_path / "events.jsonl",
        [event("e-1"), event("e-1"), event("e-1", status="suspected")],
    )
    result = healthcode("assess", "--events", str(events), "--at", AT, "--json")
    assert result.returncode == 2
    assert json.loads(result.stdout)["rules"] == ["red-confirmed"]
    assert "e-1" in result.stderr
    assert "other content" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "2021-03-20T12:00:00"], "--at"),
        (["--at", "yesterday"], "--at"),
        (["--at", AT, "--ruleset", "/nonexistent/rules.yaml"], "--ruleset"),
        (["--at", AT, "--areas", "/nonexistent/areas.jsonl"], "--areas"),
    ],
)
def test_bad_input_is_one_line_and_exit_2__A5(args: list[str], message: str) -> None:
    result = healthcode("assess", "--events", str(SAMPLES / "events.jsonl"), *args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_required_option_is_one_line_and_exit_2__A5() -> None:
    result = healthcode("assess", "--events", str(SAMPLES / "events.jsonl"))
    assert result.returncode == 2
    assert "--at" in result.stderr
    assert "Traceback" not in result.stderr


def test_unusable_events_file_is_exit_2__S5(tmp_path: Path) -> None:
    broken = tmp_path / "events.json"
    broken.write_text('{"not": "an array"}', "utf-8")
    result = healthcode("assess", "--events", str(broken), "--at", AT)
    assert result.returncode == 2
    assert result.stderr.startswith("healthcode: error: --events:")


def test_custom_ruleset_file_is_used__A5(tmp_path: Path) -> None:
    ruleset = tmp_path / "strict.json"
    ruleset.write_text(
        json.dumps(
            {
                "id": "strict",
                "version": "2.0.0",
                "valid_from": "2021-03-01T00:00:00+08:00",
                "description": {"zh": "测试", "en": "test"},
                "rules": [
                    {
                        "id": "yellow-vaccinated-once",
                        "clause": "A3",
                        "color": "yellow",
                        "condition": {"===": [{"var": "vaccination.doses"}, 0]},
                        "reason": {"zh": "理由", "en": "reason"},
                        "to_green": {"zh": "转码", "en": "turns green"},
                    }
                ],
            }
        ),
        "utf-8",
    )
    events = write_jsonl(
        tmp_path / "e.jsonl", [event("e-1", type="home_observation", action="start")]
    )
    result = healthcode("assess", "--events", str(events), "--ruleset", str(ruleset), "--at", AT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rules"] == ["yellow-vaccinated-once"]


@pytest.mark.parametrize(
    ("args", "decision", "clauses"),
    [
        (["--color", "yellow", "--venue", "mall"], "deny", ["M3"]),
        (["--color", "yellow", "--venue", "mall", "--area-risk", "low"], "not_checked", ["S2"]),
        (
            ["--color", "yellow", "--venue", "medical_institution", "--purpose", "own_treatment"],
            "allow",
            ["M3"],
        ),
        (["--color", "green", "--venue", "school", "--flags", "health_monitoring"], "deny", ["M5"]),
        (["--color", "red", "--venue", "park", "--area-risk", "high"], "deny", ["M1"]),
    ],
)
def test_policy_check_prints_the_spec_shape__M3_M5_S2(
    args: list[str], decision: str, clauses: list[str]
) -> None:
    result = healthcode("policy", "check", *args, "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert (shown["decision"], shown["clauses"]) == (decision, clauses)
    assert set(shown["reason"]) == {"zh", "en"}


def test_policy_check_unknown_venue_is_exit_2__S2() -> None:
    result = healthcode("policy", "check", "--color", "green", "--venue", "moon")
    assert result.returncode == 2
    assert "--venue" in result.stderr
    assert result.stderr.count("\n") == 1

"""`healthcode assess` on the columnar path (issue #12): a ruleset without a columnar form is bad
input, refused in one located line before any fact is decided (A5)."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import AT, event, healthcode, write_jsonl

REDUCING_RULE = {
    "id": "yellow-reduced",
    "clause": "A3",
    "color": "yellow",
    "condition": {"reduce": [{"var": "symptoms.symptoms"}, {"var": "accumulator"}, False]},
    "reason": {"zh": "理由", "en": "reason"},
    "to_green": {"zh": "转码", "en": "turns green"},
}


def test_a_ruleset_without_a_columnar_form_is_refused_with_its_place__A5(tmp_path: Path) -> None:
    ruleset = tmp_path / "reducing.json"
    document = {
        "id": "reducing",
        "version": "1.0.0",
        "valid_from": "2021-03-01T00:00:00+08:00",
        "description": {"zh": "测试", "en": "test"},
        "rules": [REDUCING_RULE],
    }
    ruleset.write_text(json.dumps(document), "utf-8")
    events = write_jsonl(
        tmp_path / "e.jsonl", [event("e-1", type="home_observation", action="start")]
    )
    result = healthcode("assess", "--events", str(events), "--ruleset", str(ruleset), "--at", AT)
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert "--ruleset" in line
    assert "rules[0] (yellow-reduced).condition.reduce" in line

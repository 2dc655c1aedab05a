"""`healthcode rules` drafts and approves the foreign certificates' acceptance rules as it does
the colour rules, and they stay apart (A5, S5; ADR 0016)."""

from __future__ import annotations

import json
from pathlib import Path

from test_rules_cli import data_dir, healthcode  # noqa: F401 - the fixture, reused

ACCEPTANCE = Path(__file__).parents[2] / "src/healthcode/rulesets/foreign-acceptance.yaml"


def test_an_acceptance_version_is_drafted_and_approved_by_a_second_person__A5_S5(
    data_dir: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    version = tmp_path / "acceptance-1.1.0.yaml"
    version.write_text(ACCEPTANCE.read_text("utf-8").replace("version: 1.0.0", "version: 1.1.0"))
    drafted = healthcode(data_dir, "rules", "draft", str(version))
    assert drafted.returncode == 0, drafted.stderr
    assert "drafted foreign-acceptance@1.1.0" in drafted.stdout
    refused = healthcode(data_dir, "rules", "approve", "foreign-acceptance", "1.1.0")
    assert refused.returncode != 0
    approved = healthcode(data_dir, "rules", "approve", "foreign-acceptance", "1.1.0", actor="bob")
    assert approved.returncode == 0, approved.stderr
    listed = json.loads(healthcode(data_dir, "rules", "list", "--json").stdout)
    assert [(item["id"], item["status"]) for item in listed] == [("foreign-acceptance", "approved")]


def test_a_broken_acceptance_version_is_one_line_naming_its_place__S5(
    data_dir: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    version = tmp_path / "acceptance-broken.yaml"
    version.write_text(
        ACCEPTANCE.read_text("utf-8").replace("applies_to: [vaccination]", "applies_to: [visa]")
    )
    drafted = healthcode(data_dir, "rules", "draft", str(version))
    assert drafted.returncode == 2
    assert "vaccine-product" in drafted.stderr
    assert "applies_to" in drafted.stderr
    assert len(drafted.stderr.strip().splitlines()) == 1

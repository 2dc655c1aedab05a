"""The alert rules (D3, ops/prometheus/alerts.yml) load in Prometheus, pass their unit tests under
`promtool test rules`, and each carries a severity, both summaries and a runbook that exists.

promtool comes from Debian's prometheus package (`make prometheus`, part of `make test`). CI sets
HEALTHCODE_TEST_POSTGRES=required, and a missing promtool then fails instead of skipping.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Final

import pytest
import yaml

ROOT: Final = Path(__file__).resolve().parents[2]
RULES: Final = ROOT / "ops" / "prometheus"
RUNBOOKS: Final = ROOT / "docs" / "operations.md"
UNIT_TESTS: Final = ("alerts_test.yml", "alerts_dates_test.yml")
REQUIRED: Final = os.environ.get("HEALTHCODE_TEST_POSTGRES") == "required"


def alerts() -> list[dict[str, Any]]:
    document = yaml.safe_load((RULES / "alerts.yml").read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"] if "alert" in rule]


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        message = "promtool is not installed: `make prometheus` installs Debian's prometheus"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message + " (HEALTHCODE_TEST_POSTGRES=required makes this fail)")
    return found


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - promtool from PATH, arguments of this repository
        [promtool(), *arguments],
        cwd=RULES,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_rules_load_in_prometheus__D3() -> None:
    checked = run("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in checked.stdout


def test_every_alert_passes_its_promtool_unit_tests__D3() -> None:
    tested = run("test", "rules", *UNIT_TESTS)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_promtool_catches_a_rule_that_does_not_fire_as_its_test_says(tmp_path: Path) -> None:
    """The unit tests can fail: the database alert made to wait a minute misses its 20 s check."""
    broken = (RULES / "alerts.yml").read_text(encoding="utf-8")
    broken = broken.replace(
        "expr: healthcode_database_up == 0\n        for: 15s",
        "expr: healthcode_database_up == 0\n        for: 1m",
    )
    assert "for: 1m" in broken
    (tmp_path / "alerts.yml").write_text(broken, encoding="utf-8")
    shutil.copy(RULES / "alerts_test.yml", tmp_path)
    tested = subprocess.run(  # noqa: S603
        [promtool(), "test", "rules", "alerts_test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert tested.returncode != 0
    assert "HealthCodeDatabaseDown" in tested.stdout + tested.stderr


def test_every_alert_is_unit_tested__D3() -> None:
    tested = {
        case["alertname"]
        for name in UNIT_TESTS
        for test in yaml.safe_load((RULES / name).read_text(encoding="utf-8"))["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert {rule["alert"] for rule in alerts()} <= tested


def test_every_alert_has_a_severity_both_summaries_and_a_runbook_that_exists__D3() -> None:
    headings = {
        re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", RUNBOOKS.read_text(encoding="utf-8"), re.M)
    }
    for rule in alerts():
        annotations = rule["annotations"]
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert re.search(r"[\u4e00-\u9fff]", annotations["summary_zh"]), rule["alert"]
        assert annotations["summary_en"].isascii(), rule["alert"]
        page, _, anchor = annotations["runbook_url"].partition("#")
        assert page == "docs/operations.md", rule["alert"]
        assert anchor in headings, f"{rule['alert']}: no runbook heading for #{anchor}"

"""The Chinese console names things (issue #14 item 4): places from the GB/T 2260 table, venue
categories, risk levels, fact sources, audit purposes and appeal steps by their names, not by
the codes the database keeps; the 12345 form picks a place by name (item 4) and the audit filter
finds a staff member by login (item 6)."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from builders import operator
from healthcode.domain.appeals import AppealEventKind
from healthcode.domain.areas import RiskLevel
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.services.checkpoint.venues import register_venue
from healthcode.services.runtime import Runtime
from healthcode.web.pages.console_appeals_views import event_detail
from web.test_console import PAGE, page
from web_builders import Callers


def test_venues_show_category_place_and_risk_by_name(callers: Callers, runtime: Runtime) -> None:
    with runtime.unit_of_work(operator()) as uow:
        register_venue(uow, "airport-1", "萧山机场", Venue.AIRPORT, "330109", RiskLevel.MEDIUM)

    shown = page(callers, "/console/venues", callers.staff(Role.SYSTEM_ADMIN))
    row = re.search(r'<tr data-venue="airport-1">.*?</tr>', shown, re.S)

    assert row is not None
    assert ">机场<" in row[0]
    assert ">杭州市萧山区<" in row[0]
    assert row[0].count(">中风险<") == 2
    assert ">airport<" not in row[0]
    assert ">330109<" not in row[0]
    assert '<option value="airport">机场</option>' in shown  # the form's choices too


def test_the_audit_log_names_roles_purposes_and_outcomes(callers: Callers) -> None:
    auditor = callers.staff(Role.AUDITOR)

    shown = page(callers, "/console/audit?action=sign-in.staff", auditor)
    english = page(callers, "/console/audit?action=sign-in.staff&lang=en", auditor)

    assert '<td data-purpose="sign in">登录</td>' in shown
    assert '<td data-role="public">公众（未登录）</td>' in shown
    assert '<td data-outcome="ok">成功</td>' in shown
    assert '<td data-purpose="sign in">sign in</td>' in english


def test_the_audit_filter_finds_a_staff_member_by_login(callers: Callers) -> None:
    hotline = callers.staff(Role.HOTLINE_OPERATOR)
    login = callers.client.get("/api/v1/auth/me", headers=hotline).json()["label"]
    auditor = callers.staff(Role.AUDITOR)

    by_login = page(callers, f"/console/audit?actor={login.removeprefix('staff:')}", auditor)
    by_label = page(callers, f"/console/audit?actor={login}", auditor)

    entries = re.findall(r'<tr data-seq="(\d+)"', by_login)
    assert entries  # the /me call above, at least
    assert entries == re.findall(r'<tr data-seq="(\d+)"', by_label)


def test_a_handlers_region_is_named_in_the_console(callers: Callers) -> None:
    handler = callers.staff(Role.LOCAL_HANDLER, region="330106")

    shown = page(callers, "/console/appeals", handler)

    assert "辖区 杭州市西湖区" in shown
    assert "辖区 330106" not in shown


def test_the_hotline_form_picks_a_place_by_name(callers: Callers) -> None:
    shown = page(callers, "/console/appeals", callers.staff(Role.HOTLINE_OPERATOR))
    picker = re.search(
        r'<select id="intake-region" name="disputed_region">(.*?)</select>', shown, re.S
    )

    assert picker is not None
    assert '<option value="">' in picker[1]  # not sure: routed by registration
    assert '<optgroup label="杭州市">' in picker[1]
    assert '<option value="330106">杭州市西湖区</option>' in picker[1]
    assert '<option value="330100">杭州市（全市）</option>' in picker[1]
    assert "市辖区" not in picker[1]
    # The confirmation names the place it was routed to (static/console/appeals.js reads these).
    script = re.search(r'<script type="application/json" id="appeal-names">(.*?)</script>', shown)
    assert script is not None
    regions = json.loads(script[1])["regions"]
    assert regions["330106"]["zh"] == "杭州市西湖区"
    assert regions["3301"]["zh"] == "杭州市"  # a city-tier appeal's region


@pytest.mark.parametrize(
    ("path", "role", "picker"),
    [
        ("/console/venues", Role.SYSTEM_ADMIN, '<select id="venue-region" name="region" required>'),
        ("/console/staff", Role.SECURITY_ADMIN, '<select id="staff-region" name="region">'),
    ],
)
def test_the_venue_and_staff_forms_pick_a_region_by_name(
    callers: Callers, path: str, role: Role, picker: str
) -> None:
    """The same picker as the hotline's (templates/console/region_picker.html), no typed code."""
    shown = page(callers, path, callers.staff(role))
    found = re.search(re.escape(picker) + "(.*?)</select>", shown, re.S)

    assert found is not None, picker
    assert '<option value="">' in found[1]  # none chosen yet (a venue must choose one)
    assert '<optgroup label="杭州市">' in found[1]
    assert '<option value="330106">杭州市西湖区</option>' in found[1]
    assert 'inputmode="numeric" name="region"' not in shown
    assert "地区代码" not in shown
    assert "辖区代码" not in shown


def test_appeal_steps_name_colours_and_places() -> None:
    added = event_detail(AppealEventKind.FACT_ADDED, "appeal-1-fact-1: yellow → green")
    escalated = event_detail(AppealEventKind.ESCALATED, "county 330106 → city 3301")
    filed = event_detail(AppealEventKind.FILED, "channel=hotline")
    free = event_detail(AppealEventKind.REJECTED, "核实无误")

    assert added.zh == "appeal-1-fact-1：黄码 → 绿码"
    assert added.en == "appeal-1-fact-1: Yellow → Green"
    assert escalated.zh == "县（市、区） 杭州市西湖区 → 设区市 杭州市"
    assert filed.zh == "渠道：12345 热线"
    assert free.zh == free.en == "核实无误"


def test_a_dry_run_names_the_prefectures_it_changes(client: TestClient, callers: Callers) -> None:
    document = client.get("/console/rules", headers={**callers.staff(Role.RULE_AUTHOR), **PAGE})
    assert document.status_code == 200
    answer = client.post(
        "/api/v1/rulesets/dry-run",
        json=_bundled_as_candidate(),
        headers=callers.staff(Role.RULE_AUTHOR),
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body["region_names"]) == set(body["by_region"])


def _bundled_as_candidate() -> dict[str, object]:
    from web.test_policy_api import candidate  # noqa: PLC0415 - the rules tests' own candidate

    document: dict[str, object] = candidate()
    return document

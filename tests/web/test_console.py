"""The staff console: who may open each page (D2), what each shows, and that a page a role does not
open answers with a bilingual 403 page, not JSON."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from builders import march, operator, risk_area
from healthcode.db.schema import audit_log
from healthcode.domain.areas import RiskLevel
from healthcode.domain.roles import STAFF_ROLES, Role
from healthcode.domain.venues import Venue
from healthcode.rulesets import DEFAULT_FOREIGN_ACCEPTANCE
from healthcode.rulesets import bundled_document as bundled
from healthcode.services.areas import record_risk_areas
from healthcode.services.checkpoint.venues import register_venue
from healthcode.services.rulesets import activate_due_rulesets, approve_ruleset
from healthcode.services.runtime import Actor, Runtime
from healthcode.services.scheduled_round import run_round
from healthcode.web.pages.console_layout import (
    ADMIN_ROLES,
    AREAS_ROLES,
    AUDIT_ROLES,
    RULES_ROLES,
    VENUES_ROLES,
)
from healthcode.web.pages.console_rules import bundled_document
from healthcode.web.routes.dashboard import DASHBOARD_ROLES
from web_builders import Callers, Headers, RouteCase, assert_access

PAGE = {"Accept": "text/html"}
ROUTES = [
    RouteCase("GET", "/console", frozenset(STAFF_ROLES)),
    RouteCase("GET", "/console/dashboard", frozenset(DASHBOARD_ROLES)),
    RouteCase("GET", "/console/rules", frozenset(RULES_ROLES)),
    RouteCase("GET", "/console/rules/zhejiang-2021-36/9.9.9", frozenset(RULES_ROLES)),
    RouteCase("GET", "/console/areas", frozenset(AREAS_ROLES)),
    RouteCase("GET", "/console/venues", frozenset(VENUES_ROLES)),
    RouteCase("GET", "/console/clients", frozenset(ADMIN_ROLES)),
    RouteCase("GET", "/console/staff", frozenset(ADMIN_ROLES)),
    RouteCase("GET", "/console/audit", frozenset(AUDIT_ROLES)),
]


@pytest.mark.parametrize("case", ROUTES, ids=lambda case: f"{case.method} {case.path}")
def test_who_may_open_each_console_page__D2(access_callers: Callers, case: RouteCase) -> None:
    assert_access(access_callers, case)


def page(callers: Callers, path: str, headers: Headers) -> str:
    answer = callers.client.get(path, headers={**headers, **PAGE})
    assert answer.status_code == 200, answer.text
    return answer.text


def test_a_person_not_signed_in_is_sent_to_the_staff_sign_in__D2(callers: Callers) -> None:
    answer = callers.client.get("/console/rules", headers=PAGE, follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in?next=/console/rules"


def test_the_audit_page_is_refused_to_a_system_admin_with_a_page__D2(callers: Callers) -> None:
    admin = callers.staff(Role.SYSTEM_ADMIN)

    shown = callers.client.get("/console/audit", headers={**admin, **PAGE})
    english = callers.client.get("/console/audit?lang=en", headers={**admin, **PAGE})
    api = callers.client.get("/console/audit", headers=admin)

    assert shown.status_code == 403
    assert 'id="forbidden"' in shown.text
    assert "无权访问" in shown.text
    assert english.status_code == 403
    assert "Not allowed" in english.text
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "forbidden"


def test_the_home_and_navigation_show_only_what_the_role_opens__D2(callers: Callers) -> None:
    author = page(callers, "/console", callers.staff(Role.RULE_AUTHOR))
    auditor = page(callers, "/console", callers.staff(Role.AUDITOR))

    assert 'id="link-rules"' in author
    assert 'id="link-dashboard"' in author
    assert 'id="nav-audit"' not in author
    assert 'id="link-clients"' not in author
    assert 'id="link-audit"' in auditor
    assert 'id="nav-audit"' in auditor
    assert 'id="link-staff"' not in auditor


def test_the_dashboard_page_draws_charts_with_tables_beside_them__D2(callers: Callers) -> None:
    shown = page(callers, "/console/dashboard?days=7", callers.staff(Role.HOTLINE_OPERATOR))

    for chart in ("chart-colours", "chart-moves"):
        assert f'<svg id="{chart}" class="chart" role="img"' in shown
        assert f'<title id="{chart}-title">' in shown
    for table in ("table-colours", "table-regions", "table-moves"):
        assert f'id="{table}"' in shown
    assert len(re.findall(r'<tr data-day="', shown)) == 7


def test_an_author_gets_the_editor_filled_with_the_rules_in_force__A5(callers: Callers) -> None:
    author = page(callers, "/console/rules", callers.staff(Role.RULE_AUTHOR))
    approver = page(callers, "/console/rules", callers.staff(Role.RULE_APPROVER))

    assert '<textarea id="ruleset-document"' in author
    assert "&#34;id&#34;: &#34;zhejiang-2021-36&#34;" in author
    assert 'id="dry-run"' in author
    assert 'id="save-draft"' in author
    assert 'id="ruleset-document"' not in approver


def test_a_second_person_sees_a_drafts_impact_before_approving__A5(callers: Callers) -> None:
    author = callers.staff(Role.RULE_AUTHOR)
    draft = bundled_document() | {"version": "1.0.1"}
    saved = callers.client.post("/api/v1/rulesets", json=draft, headers=author)
    assert saved.status_code == 201, saved.text
    review = "/console/rules/zhejiang-2021-36/1.0.1"

    listed = page(callers, "/console/rules", callers.staff(Role.RULE_APPROVER))
    by_approver = page(callers, review, callers.staff(Role.RULE_APPROVER))
    by_author = page(callers, review, author)

    assert 'id="review-zhejiang-2021-36-1.0.1"' in listed
    assert 'data-status="draft"' in listed
    assert 'id="impact-changes"' in by_approver
    assert 'id="impact-evaluated"' in by_approver
    assert 'id="approve"' in by_approver
    assert 'id="approve"' not in by_author
    assert 'id="approval-note"' in by_author


def test_the_rules_page_shows_how_far_the_activation_has_come__A5(
    callers: Callers, runtime: Runtime
) -> None:
    author = callers.staff(Role.RULE_AUTHOR)
    draft = bundled_document() | {"version": "1.0.1", "valid_from": "2021-03-01T00:00:00+08:00"}
    assert callers.client.post("/api/v1/rulesets", json=draft, headers=author).status_code == 201
    with runtime.unit_of_work(Actor("approver", "rule_approver", "ruleset_approval")) as uow:
        approve_ruleset(uow, "zhejiang-2021-36", "1.0.1")
        activate_due_rulesets(uow)  # its job is started; nobody has run it yet
    reader = callers.staff(Role.RULE_APPROVER)

    started = page(callers, "/console/rules", reader)
    run_round(runtime)
    finished = page(callers, "/console/rules", reader)

    assert 'data-finished="false"' in started
    assert "正在全员重新评估" in started
    assert '<span id="activation-partitions">0/1</span>' in started
    assert 'data-finished="true"' in finished
    assert "全员重新评估已完成" in finished


def _rows(shown: str) -> dict[str, str]:
    """Each listed version's row (label → the row's HTML)."""
    return dict(re.findall(r'<tr data-ruleset="([^"]+)"(.*?)</tr>', shown, re.DOTALL))


def test_the_list_shows_each_versions_kind_and_the_acceptance_rules_in_force__A5_S5(
    callers: Callers, runtime: Runtime
) -> None:
    author = callers.staff(Role.RULE_AUTHOR)
    acceptance = bundled(DEFAULT_FOREIGN_ACCEPTANCE)
    for version, valid_from in [("1.9.0", "2021-02-01"), ("2.0.0", "2021-03-01"),
                                ("2.1.0", "2021-04-01"), ("2.2.0", "2021-03-05")]:  # fmt: skip
        draft = acceptance | {"version": version, "valid_from": f"{valid_from}T00:00:00+08:00"}
        saved = callers.client.post("/api/v1/rulesets", json=draft, headers=author)
        assert saved.status_code == 201, saved.text
    with runtime.unit_of_work(Actor("approver", "rule_approver", "ruleset_approval")) as uow:
        for version in ("1.9.0", "2.0.0", "2.1.0"):  # 2.2.0 stays a draft
            approve_ruleset(uow, "foreign-acceptance", version)
    colours = bundled_document() | {"version": "1.0.1"}
    assert callers.client.post("/api/v1/rulesets", json=colours, headers=author).status_code == 201
    reader = callers.staff(Role.RULE_APPROVER)

    shown = page(callers, "/console/rules", reader)
    review = page(callers, "/console/rules/foreign-acceptance/2.2.0", reader)
    english = page(callers, "/console/rules?lang=en", reader)  # the language stays chosen

    rows = _rows(shown)
    expected = {"1.9.0": "superseded", "2.0.0": "active", "2.1.0": "approved", "2.2.0": "draft"}
    for version, status in expected.items():
        row = rows[f"foreign-acceptance@{version}"]
        assert 'data-kind="foreign-acceptance"' in row
        assert "<td>境外证书采信规则</td>" in row
        assert f'data-status="{status}"' in row, (version, row)
    colour_row = rows["zhejiang-2021-36@1.0.1"]
    assert 'data-kind="colours"' in colour_row
    assert "<td>赋码规则</td>" in colour_row
    assert "<td>Foreign acceptance rules</td>" in _rows(english)["foreign-acceptance@2.0.0"]
    assert "<td>Colour rules</td>" in _rows(english)["zhejiang-2021-36@1.0.1"]
    assert 'data-status="draft"' in colour_row
    assert '<strong id="acceptance-in-force">foreign-acceptance@2.0.0</strong>' in shown
    assert "内置默认规则" in shown  # no colour version approved: the bundled colour rules
    # An acceptance draft changes no colour: no dry run, and a second person may approve it.
    assert 'id="ruleset-kind">境外证书采信规则' in review
    assert 'id="impact-evaluated"' not in review
    assert 'id="approve"' in review


def test_a_missing_version_is_not_found__A5(callers: Callers) -> None:
    answer = callers.client.get(
        "/console/rules/zhejiang-2021-36/0.0.0", headers=callers.staff(Role.RULE_APPROVER)
    )

    assert answer.status_code == 404


def test_areas_in_force_and_the_designation_forms_for_approvers__A6(
    callers: Callers, runtime: Runtime
) -> None:
    with runtime.unit_of_work(operator()) as uow:
        record_risk_areas(uow, [risk_area("330106", "high", march(18))])

    approver = page(callers, "/console/areas", callers.staff(Role.RULE_APPROVER))
    admin = page(callers, "/console/areas", callers.staff(Role.SYSTEM_ADMIN))

    assert '<tr data-region="330106"><th scope="row">杭州市西湖区</th><td>高风险</td>' in approver
    assert 'id="risk-area-form"' in approver
    assert 'id="designation-form"' in approver
    assert 'id="risk-area-form"' not in admin
    assert 'data-region="330106"' in admin


def test_venues_and_their_forms_by_role__S2(callers: Callers, runtime: Runtime) -> None:
    with runtime.unit_of_work(operator()) as uow:
        register_venue(
            uow,
            "bus-1",
            "杭州汽车客运中心",
            Venue.LONG_DISTANCE_BUS_STATION,
            "330106",
            RiskLevel.LOW,
        )

    admin = page(callers, "/console/venues", callers.staff(Role.SYSTEM_ADMIN))
    security = page(callers, "/console/venues", callers.staff(Role.SECURITY_ADMIN))

    assert 'data-venue="bus-1"' in admin
    assert "杭州汽车客运中心" in admin
    assert 'id="venue-form"' in admin
    assert 'id="device-form"' in admin
    assert 'id="venue-form"' not in security
    assert 'id="device-form"' in security


def test_clients_show_categories_and_purposes_and_no_secret__D1(callers: Callers) -> None:
    callers.department("test", purpose="report test results")

    shown = page(callers, "/console/clients", callers.staff(Role.SECURITY_ADMIN))

    assert re.search(r'data-client="dept\d+"', shown)
    assert "report test results" in shown
    assert "检测机构" in shown
    assert "argon2" not in shown
    assert 'id="client-form"' in shown
    assert 'id="client-secret" hidden' in shown


def test_staff_accounts_show_roles_and_no_secret__D2(callers: Callers) -> None:
    callers.staff(Role.LOCAL_HANDLER, region="330106")

    shown = page(callers, "/console/staff", callers.staff(Role.SECURITY_ADMIN))

    assert "属地处置人员" in shown
    assert "330106" in shown
    assert "argon2" not in shown
    assert 'id="staff-form"' in shown
    assert 'id="staff-secret" hidden' in shown


def test_the_audit_viewer_filters_and_verifies_the_chain__D2(callers: Callers) -> None:
    auditor = callers.staff(Role.AUDITOR)
    callers.client.get("/api/v1/dashboard", headers=auditor)

    filtered = page(callers, "/console/audit?action=dashboard.read&since=&until=", auditor)
    verified = page(callers, "/console/audit?verify=true", auditor)

    actions = set(re.findall(r'data-action="([^"]+)"', filtered))
    assert actions == {"dashboard.read"}
    assert 'id="chain-report" class="message ok"' in verified


def test_a_bad_date_filter_names_the_field__D2(callers: Callers) -> None:
    answer = callers.client.get(
        "/console/audit?since=yesterday", headers=callers.staff(Role.AUDITOR)
    )

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "since"


def _audited(runtime: Runtime, after: int) -> list[tuple[str, str, str]]:
    with runtime.engine.connect() as connection:
        rows = connection.execute(
            select(audit_log.c.action, audit_log.c.role, audit_log.c.outcome)
            .where(audit_log.c.seq > after)
            .order_by(audit_log.c.seq)
        )
        return [tuple(row) for row in rows]


def _last_seq(runtime: Runtime) -> int:
    with runtime.engine.connect() as connection:
        return int(connection.execute(select(func.max(audit_log.c.seq))).scalar_one())


@pytest.mark.parametrize(
    ("page_path", "api_path", "role", "action"),
    [
        ("/console/staff", "/api/v1/admin/staff", Role.SECURITY_ADMIN, "staff.list"),
        ("/console/clients", "/api/v1/admin/clients", Role.SECURITY_ADMIN, "client.list"),
        ("/console/audit", "/api/v1/audit", Role.AUDITOR, "audit.read"),
        ("/console/audit?verify=true", "/api/v1/audit/verification", Role.AUDITOR, "audit.verify"),
    ],
    ids=["staff", "clients", "audit log", "audit chain"],
)
def test_the_console_page_and_the_api_audit_a_reading_alike__D2(
    callers: Callers, runtime: Runtime, page_path: str, api_path: str, role: Role, action: str
) -> None:
    headers = callers.staff(role)
    before_page = _last_seq(runtime)
    page(callers, page_path, headers)
    by_page = [entry for entry in _audited(runtime, before_page) if entry[0] == action]
    before_api = _last_seq(runtime)
    assert callers.client.get(api_path, headers=headers).status_code == 200
    by_api = [entry for entry in _audited(runtime, before_api) if entry[0] == action]

    assert by_page == by_api == [(action, role.value, "ok")]

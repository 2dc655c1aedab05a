"""The product in a real browser (Debian's chromium), against the real server on loopback:
the checkpoint reads a code and shows the venue's decision; a rule drafted by one person and
approved by another changes a code's colour. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Playwright, expect

from builders import fact, operator
from e2e.browser import fake_camera_browser, save_screenshot, write_fake_camera
from e2e.conftest import LiveServer
from healthcode.domain.applications import Channel
from healthcode.domain.areas import RiskLevel
from healthcode.domain.facts import Action, HealthMonitoring, Person
from healthcode.domain.identity import IdType
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.security.totp import code_at
from healthcode.services.accounts import create_staff
from healthcode.services.checkpoint.venues import register_venue
from healthcode.services.codes.issuing import issue_code
from healthcode.services.facts import record_facts
from healthcode.services.households.applications import apply_for_code
from healthcode.services.status import code_status
from healthcode.tokens.qr import qr_png
from web.test_policy_api import candidate

PASSWORD = "correct horse battery staple"  # noqa: S105 - a test account's


def sign_in_staff(
    browser: Browser,
    server: LiveServer,
    role: Role,
    login: str,
    region: str | None = None,
    *,
    bypass_csp: bool = False,
    institution: str | None = None,
) -> Page:
    """A new browser context in which `login` (created with `role`, of `institution` if given)
    has signed in; with `bypass_csp`, one that lets a test inject axe-core
    (e2e/accessibility.py)."""
    with server.runtime.unit_of_work(operator("security-admin")) as uow:
        new = create_staff(uow, login, [role], region, password=PASSWORD, institution=institution)
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=bypass_csp
    )
    page = context.new_page()
    page.goto(f"{server.url}/console/sign-in")
    page.fill("#username", login)
    page.fill("#password", PASSWORD)
    page.fill("#otp", code_at(new.totp_secret, datetime.now(UTC)))
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/console")
    return page


def colour_of(server: LiveServer, person: Person) -> str | None:
    with server.runtime.unit_of_work(operator()) as uow:
        status = code_status(uow, person.key)
    return None if status is None or status.state is None else status.state.colour


def test_checkpoint_reads_a_code_picture_and_shows_the_decision__A6_S1(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    person = Person(IdType.RESIDENT_ID, "330106198506122133", name="陈晓明")
    with live_server.runtime.unit_of_work(operator("system-admin")) as uow:
        register_venue(uow, "mall-1", "银泰商场", Venue.MALL, "330106", RiskLevel.MEDIUM)
        apply_for_code(uow, person, channel=Channel.WEB)
        token = issue_code(uow, person.key).text
    picture = tmp_path / "code.png"
    picture.write_bytes(qr_png(token, scale=6))
    page = sign_in_staff(browser, live_server, Role.CHECKPOINT, "checker")
    page.goto(f"{live_server.url}/checkpoint")
    expect(page.locator("#trust-status")).to_contain_text("信任列表已验证")
    page.set_input_files("#picture", picture)
    answer = page.locator("#answer")
    expect(answer).to_have_attribute("data-decision", "allow")
    expect(page.locator("#answer-word")).to_have_text("通行")
    expect(page.locator("#answer-who")).to_have_text("陈*明")
    save_screenshot(page, "checkpoint_allow")


def test_checkpoint_scans_a_code_with_the_camera__A6_S1(
    playwright: Playwright, live_server: LiveServer, tmp_path: Path
) -> None:
    person = Person(IdType.RESIDENT_ID, "330106198506122133", name="陈晓明")
    with live_server.runtime.unit_of_work(operator("system-admin")) as uow:
        register_venue(uow, "station-1", "杭州东站", Venue.STATION, "330104", RiskLevel.MEDIUM)
        apply_for_code(uow, person, channel=Channel.WEB)
        token = issue_code(uow, person.key).text
    camera = write_fake_camera(tmp_path / "camera.y4m", qr_png(token, scale=4))
    with fake_camera_browser(playwright, camera) as browser:
        page = sign_in_staff(browser, live_server, Role.CHECKPOINT, "checker")
        page.goto(f"{live_server.url}/checkpoint")
        expect(page.locator("#trust-status")).to_contain_text("信任列表已验证")
        page.click("#start-camera")
        expect(page.locator("#answer")).to_have_attribute("data-decision", "allow")
        expect(page.locator("#answer-who")).to_have_text("陈*明")
        save_screenshot(page, "checkpoint_camera")


def test_a_rule_drafted_by_one_and_approved_by_another_changes_a_code__M1(
    browser: Browser, live_server: LiveServer
) -> None:
    now = datetime.now(UTC)
    monitored = fact(HealthMonitoring(Action.START), now - timedelta(hours=1))
    with live_server.runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [monitored])
    assert colour_of(live_server, monitored.person) == "green"
    document: dict[str, Any] = candidate() | {
        "valid_from": (now - timedelta(minutes=1)).isoformat()
    }

    author = sign_in_staff(browser, live_server, Role.RULE_AUTHOR, "author")
    author.goto(f"{live_server.url}/console/rules")
    author.click("#dry-run")  # the ruleset in force, unchanged: nobody moves, and it says so
    expect(author.locator("#impact-none")).to_have_text("没有人会改变颜色。")
    expect(author.locator("#impact-table")).to_have_count(0)
    author.fill("#ruleset-document", json.dumps(document, ensure_ascii=False, indent=2))
    author.click("#dry-run")
    expect(author.locator("#impact-table")).to_contain_text("1")
    save_screenshot(author, "console_rules_dry_run")
    author.click("#save-draft")
    author.wait_for_url("**/console/rules/zhejiang-2021-36/1.2.0")

    approver = sign_in_staff(browser, live_server, Role.RULE_APPROVER, "approver")
    approver.set_viewport_size({"width": 1280, "height": 900})
    approver.goto(f"{live_server.url}/console/rules/zhejiang-2021-36/1.2.0")
    approver.click("#approve")
    # The activation job runs in the background; the page follows it until it has finished.
    expect(approver.locator("#approval-status")).to_contain_text(
        "改变颜色的人数：1", timeout=30_000
    )
    # No longer a draft: the badge says so and the approve button is gone (issue #14 item 6).
    expect(approver.locator("h1 .status")).to_have_text("生效中")
    expect(approver.locator("h1")).not_to_contain_text("草稿")
    expect(approver.locator("#approve")).to_be_hidden()
    expect(approver.locator("#ruleset-approver")).to_have_text("staff:approver")
    assert approver.evaluate("document.documentElement.scrollWidth") <= 1280
    save_screenshot(approver, "console_rules_approved")
    assert colour_of(live_server, monitored.person) == "yellow"
    approver.goto(f"{live_server.url}/console/dashboard")
    save_screenshot(approver, "console_dashboard")

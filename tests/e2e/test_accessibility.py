"""Accessibility held by tests (issue #14 item 8): axe-core over every resident, checkpoint and
console page in both languages (0 serious, 0 critical, and neither of the moderate rules the
issue found), and the home page at 200 % zoom on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from builders import operator
from e2e.accessibility import violations
from e2e.browser import read_qr, save_screenshot
from e2e.conftest import LiveServer
from e2e.test_resident_pages import apply, sign_in_resident
from e2e.test_web_pages import sign_in_staff
from healthcode.domain.appeals import AppealCategory, Language
from healthcode.domain.areas import RiskLevel
from healthcode.domain.facts import PersonKey
from healthcode.domain.identity import IdType
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.services.appeals.filing import file_appeal_by_call
from healthcode.services.checkpoint.venues import register_venue

SELF, MOTHER = "330106198506122133", "330106194303052421"
# Who opens which pages: every page of the console, the checkpoint's and the resident's.
STAFF_PAGES: dict[Role, tuple[str, ...]] = {
    Role.SYSTEM_ADMIN: ("/console", "/console/dashboard", "/console/venues", "/console/areas"),
    Role.SECURITY_ADMIN: ("/console/staff", "/console/clients"),
    Role.AUDITOR: ("/console/audit", "/console/rules"),
    Role.RULE_AUTHOR: ("/console/rules",),
    Role.HOTLINE_OPERATOR: (
        "/console/appeals",
        "/console/appeals/oversight",
        "/console/appeals/{appeal}",
    ),
    Role.LOCAL_HANDLER: ("/console/appeals", "/console/appeals/{appeal}"),
    Role.CHECKPOINT: ("/checkpoint",),
}
RESIDENT_PAGES = ("/", "/apply", "/paper/{person}", "/symptoms/{person}", "/appeal/{person}")
PUBLIC_PAGES = ("/sign-in", "/console/sign-in", "/dev/outbox", "/no-such-page")


@dataclass
class Population:
    server: LiveServer
    resident: Page  # signed in, with his own code and his mother's
    person: str  # his person id, as his page links it
    appeal: int


@pytest.fixture
def population(browser: Browser, live_server: LiveServer) -> Iterator[Population]:
    with live_server.runtime.unit_of_work(operator("system-admin")) as uow:
        register_venue(uow, "mall-a11y", "湖滨银泰", Venue.MALL, "330106", RiskLevel.MEDIUM)
    resident = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True
    ).new_page()
    sign_in_resident(resident, live_server)
    apply(resident, live_server, SELF, "陈晓明", family=False)
    apply(resident, live_server, MOTHER, "王桂英", family=True)
    link = resident.locator("a[href^='/paper/']").first.get_attribute("href")
    assert link is not None
    with live_server.runtime.unit_of_work(operator("hotline", "record a 12345 appeal call")) as uow:
        filed = file_appeal_by_call(
            uow, PersonKey(IdType.RESIDENT_ID, MOTHER), "13800000009", AppealCategory.WRONG_COLOUR,
            "她说核酸结果没有显示。", Language.ZH,
        )  # fmt: skip
    yield Population(live_server, resident, link.removeprefix("/paper/"), filed.primary_id)
    resident.context.close()


def check(page: Page, url: str, problems: dict[str, list[dict[str, object]]]) -> None:
    for lang in ("zh", "en"):
        page.goto(f"{url}{'&' if '?' in url else '?'}lang={lang}")
        page.wait_for_load_state("networkidle")
        found = violations(page)
        if found:
            problems[f"{url} [{lang}]"] = found


def test_every_page_in_both_languages_has_no_serious_or_critical_violation(
    browser: Browser, population: Population
) -> None:
    server = population.server
    fill = {"person": population.person, "appeal": str(population.appeal)}
    problems: dict[str, list[dict[str, object]]] = {}
    for path in RESIDENT_PAGES:
        check(population.resident, server.url + path.format(**fill), problems)
    anonymous = browser.new_context(bypass_csp=True).new_page()
    for path in PUBLIC_PAGES:
        check(anonymous, server.url + path, problems)
    anonymous.context.close()
    for number, (role, paths) in enumerate(STAFF_PAGES.items()):
        region = "330106" if role is Role.LOCAL_HANDLER else None
        staff = sign_in_staff(browser, server, role, f"a11y{number}", region, bypass_csp=True)
        for path in paths:
            check(staff, server.url + path.format(**fill), problems)
        staff.context.close()
    assert problems == {}, "\n".join(f"{page}: {found}" for page, found in problems.items())


def test_the_home_page_at_200_percent_zoom_on_a_phone_stays_whole_and_readable(
    population: Population,
) -> None:
    """200 % zoom on a 390 px phone lays the page out 195 CSS px wide, drawn at twice the scale:
    nothing sticks out sideways, and the QR code fits the screen and still scans."""
    browser = population.resident.context.browser
    assert browser is not None
    zoomed = browser.new_context(
        viewport={"width": 195, "height": 422}, device_scale_factor=2,
        storage_state=population.resident.context.storage_state(),
    )  # fmt: skip
    page = zoomed.new_page()
    page.goto(f"{population.server.url}/")
    expect(page.locator(".code-card")).to_have_count(2)
    overflowing = page.evaluate(
        """() => { const width = document.documentElement.clientWidth + 1;
             return [...document.querySelectorAll('body *')]
               .filter((e) => e.getBoundingClientRect().right > width)
               .map((e) => e.tagName + '.' + e.className); }"""
    )
    assert overflowing == []
    qr = page.locator("img.qr-image").first
    qr.scroll_into_view_if_needed()
    box = qr.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 195
    assert box["height"] <= 422  # whole on one screen
    token = qr.get_attribute("data-token")
    assert read_qr(page.screenshot()) == [token]  # the screen as the scanner sees it
    save_screenshot(page, "resident_home_zoom_200")
    zoomed.close()

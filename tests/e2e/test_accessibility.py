"""Accessibility held by tests (issue #14 item 8): axe-core over every resident, checkpoint and
console page in both languages (0 serious, 0 critical, and neither of the moderate rules the
issue found); the home page at 200 % zoom on a phone; a printed paper code that scans and is
accepted; the outbox on a phone; the resident's journey by keyboard only."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect

from builders import on_register, operator
from e2e.accessibility import violations
from e2e.browser import read_qr, save_screenshot
from e2e.conftest import LiveServer
from e2e.test_resident_pages import PHONE, apply, sign_in_resident
from e2e.test_web_pages import sign_in_staff
from healthcode.domain.appeals import AppealCategory, Language
from healthcode.domain.areas import RiskLevel
from healthcode.domain.certificates import InstitutionKind
from healthcode.domain.facts import Person, PersonKey
from healthcode.domain.identity import IdType
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.services.appeals.filing import file_appeal_by_call
from healthcode.services.checkpoint.institutions import register_institution
from healthcode.services.checkpoint.venues import register_venue
from healthcode.services.codes.issuing import issue_code
from healthcode.services.rulesets import draft_ruleset
from healthcode.tokens.qr import qr_png
from web.test_policy_api import candidate

SELF, MOTHER = "330106198506122133", "330106194303052421"
# Who opens which pages: every page of the console, the checkpoint's and the resident's.
STAFF_PAGES: dict[Role, tuple[str, ...]] = {
    Role.SYSTEM_ADMIN: ("/console", "/console/dashboard", "/console/venues", "/console/areas"),
    Role.SECURITY_ADMIN: ("/console/staff", "/console/clients"),
    Role.AUDITOR: ("/console/audit", "/console/rules"),
    Role.RULE_AUTHOR: ("/console/rules", "/console/rules/{draft}"),
    Role.RULE_APPROVER: ("/console/rules/{draft}",),  # with the approve button
    Role.INSTITUTION_STAFF: ("/console/certificates",),
    Role.HOTLINE_OPERATOR: (
        "/console/appeals",
        "/console/appeals/oversight",
        "/console/appeals/{appeal}",
    ),
    Role.LOCAL_HANDLER: ("/console/appeals", "/console/appeals/{appeal}"),
    Role.CHECKPOINT: ("/checkpoint",),
}
RESIDENT_PAGES = ("/", "/apply", "/paper/{person}", "/symptoms/{person}", "/appeal/{person}")
PUBLIC_PAGES = ("/sign-in", "/console/sign-in", "/dev/outbox", "/api/docs", "/no-such-page")
# The elements that stick out past the right edge of the window (a page that scrolls sideways).
OVERFLOWING = """() => { const width = document.documentElement.clientWidth + 1;
  return [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > width)
    .map((e) => e.tagName + '.' + e.className); }"""


@dataclass
class Population:
    server: LiveServer
    resident: Page  # signed in, with his own code and his mother's
    person: str  # his person id, as his page links it
    appeal: int
    draft: str  # a draft ruleset's "id/version", as its review page is addressed


@pytest.fixture
def population(browser: Browser, live_server: LiveServer) -> Iterator[Population]:
    with live_server.runtime.unit_of_work(operator("system-admin")) as uow:
        register_venue(uow, "mall-a11y", "湖滨银泰", Venue.MALL, "330106", RiskLevel.MEDIUM)
        register_institution(uow, "beishan", "北山街道社区", InstitutionKind.COMMUNITY, "330106")
    with live_server.runtime.unit_of_work(operator("rule-author")) as uow:
        drafted = draft_ruleset(uow, candidate())
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
    yield Population(
        live_server, resident, link.removeprefix("/paper/"), filed.primary_id,
        f"{drafted.ruleset_id}/{drafted.version}",
    )  # fmt: skip
    resident.context.close()


def check(
    page: Page,
    url: str,
    problems: dict[str, list[dict[str, object]]],
    then: tuple[str, Callable[[Page], None]] | None = None,
) -> None:
    """`url` in both languages; with `then`, the state its staff reach from there (named)."""
    for lang in ("zh", "en"):
        page.goto(f"{url}{'&' if '?' in url else '?'}lang={lang}")
        page.wait_for_load_state("networkidle")
        state = url
        if then is not None:
            name, act = then
            act(page)
            state = f"{url} {name}"
        found = violations(page)
        if found:
            problems[f"{state} [{lang}]"] = found


def test_every_page_in_both_languages_has_no_serious_or_critical_violation(
    browser: Browser, population: Population
) -> None:
    server = population.server
    fill = {
        "person": population.person,
        "appeal": str(population.appeal),
        "draft": population.draft,
    }
    problems: dict[str, list[dict[str, object]]] = {}
    for path in RESIDENT_PAGES:
        check(population.resident, server.url + path.format(**fill), problems)
    anonymous = browser.new_context(bypass_csp=True).new_page()
    for path in PUBLIC_PAGES:
        check(anonymous, server.url + path, problems)
    anonymous.context.close()
    token = page_token(server)
    shown = ("with an answer", lambda page: show_answer(page, token))
    issued = ("with an issued certificate", issue_certificate)
    states = ((Role.CHECKPOINT, "/checkpoint", shown),
              (Role.INSTITUTION_STAFF, "/console/certificates", issued))  # fmt: skip
    for role, path, then in states:
        staff = sign_in_staff(
            browser, server, role, f"a11y-{role.value}", bypass_csp=True,
            institution="beishan" if role is Role.INSTITUTION_STAFF else None,
        )  # fmt: skip
        check(staff, server.url + path, problems, then)
        staff.context.close()
    for number, (role, paths) in enumerate(STAFF_PAGES.items()):
        region = "330106" if role is Role.LOCAL_HANDLER else None
        institution = "beishan" if role is Role.INSTITUTION_STAFF else None
        staff = sign_in_staff(
            browser, server, role, f"a11y{number}", region, bypass_csp=True, institution=institution
        )
        for path in paths:
            check(staff, server.url + path.format(**fill), problems)
        staff.context.close()
    assert problems == {}, "\n".join(f"{page}: {found}" for page, found in problems.items())


def page_token(server: LiveServer) -> str:
    """The text of the mother's phone code, as a checkpoint reads it."""
    with server.runtime.unit_of_work(operator("system-admin")) as uow:
        return issue_code(uow, PersonKey(IdType.RESIDENT_ID, MOTHER)).text


def show_answer(page: Page, token: str) -> None:
    """A code verified at the checkpoint, by a picture of it: the answer on screen."""
    page.set_input_files(
        "#picture",
        files=FilePayload(name="code.png", mimeType="image/png", buffer=qr_png(token, scale=6)),
    )
    expect(page.locator("#answer")).to_have_attribute("data-decision", "allow")


def issue_certificate(page: Page) -> None:
    page.fill("#certificate-id-number", MOTHER)
    page.click("#issue-certificate")
    expect(page.locator("#certificate-sheet")).to_be_visible()


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
    assert page.evaluate(OVERFLOWING) == []
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


def test_a_printed_paper_code_scans_and_is_accepted_at_the_checkpoint(
    browser: Browser, population: Population, tmp_path: Path
) -> None:
    """The paper code as Chromium prints it (PDF), rasterised by pdftoppm as a scanner would
    see the sheet, read by zxing-cpp and verified at a venue (S4)."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.fail("pdftoppm is missing: `make browser` installs poppler-utils from Debian")
    page = population.resident
    page.goto(f"{population.server.url}/paper/{population.person}")
    printed = tmp_path / "paper.pdf"
    printed.write_bytes(page.pdf(format="A4", print_background=True))
    subprocess.run(  # noqa: S603 - Debian's pdftoppm on our own file
        [pdftoppm, "-r", "150", "-gray", "-png", "-singlefile", printed, tmp_path / "sheet"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    (token,) = read_qr((tmp_path / "sheet.png").read_bytes())
    checker = sign_in_staff(browser, population.server, Role.CHECKPOINT, "paper-gate")
    answer = checker.context.request.post(
        f"{population.server.url}/api/v1/verify", data={"token": token, "venue_id": "mall-a11y"}
    )
    assert answer.status == 200, answer.text()
    assert answer.json()["decision"] == "allow"
    checker.context.close()


def test_the_outbox_does_not_overflow_a_phone(population: Population) -> None:
    browser = population.resident.context.browser
    assert browser is not None
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.goto(f"{population.server.url}/dev/outbox")
    expect(page.locator(".outbox-body").first).to_be_visible()
    assert page.evaluate(OVERFLOWING) == []
    save_screenshot(page, "outbox_phone")
    phone.close()


def test_a_resident_journey_by_keyboard_only(browser: Browser, live_server: LiveServer) -> None:
    """Sign in, apply for himself and his mother, show both codes, open the paper code: with
    Tab, typing, Space, arrows and Enter only (no pointer)."""
    page = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    with live_server.runtime.unit_of_work(
        operator("department_client", "record the register")
    ) as uow:
        on_register(uow, Person(IdType.RESIDENT_ID, SELF, "陈晓明"), "H1", PHONE)
        on_register(uow, Person(IdType.RESIDENT_ID, MOTHER, "王桂英"), "H1")
    page.goto(f"{live_server.url}/")
    page.wait_for_url("**/sign-in?next=/")
    tab_to(page, "#phone")
    page.keyboard.type(PHONE)
    page.keyboard.press("Enter")
    expect(page.locator("#code")).to_be_focused()  # the page moves on to the code by itself
    outbox = page.context.request.get(f"{live_server.url}/dev/outbox").text()
    found = re.search(r"验证码是 (\d{6})", outbox)
    assert found is not None
    page.keyboard.type(found[1])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")
    for id_number, name, family in ((SELF, "陈晓明", False), (MOTHER, "王桂英", True)):
        tab_to(page, "a[href='/apply']")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server.url}/apply")
        if family:
            tab_to(page, "#for-self")
            page.keyboard.press("ArrowDown")  # the radio group's next choice
            expect(page.locator("#for-family")).to_be_checked()
            tab_to(page, "#consent")  # the relationship keeps its first choice, parent
            page.keyboard.press("Space")
            expect(page.locator("#consent")).to_be_checked()
        tab_to(page, "#id_number")
        page.keyboard.type(id_number)
        tab_to(page, "#name")
        page.keyboard.type(name)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server.url}/")
    cards = page.locator(".code-card")
    expect(cards).to_have_count(2)
    expect(page.locator("img.qr-image")).to_have_count(2)
    tab_to(page, "a[href^='/paper/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/paper/*")
    expect(page.locator("img.paper-qr")).to_be_visible()
    tab_to(page, "[data-print]")  # the print button is reachable too
    save_screenshot(page, "keyboard_paper_code")
    page.context.close()


def tab_to(page: Page, selector: str, presses: int = 40) -> None:
    """Press Tab until `selector` has the focus; fail if it is never reached."""
    target = page.locator(selector).first
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("(element) => element === document.activeElement"):
            return
    pytest.fail(f"{selector} is not reachable with Tab")

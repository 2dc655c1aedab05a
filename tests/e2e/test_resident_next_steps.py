"""A resident's card in a real browser says what to do next and when, on every colour; screen
readers hear the colour on load and after a change, and read the card in a sensible order; the
English page names no clause and the paper code names its issuing authority."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from builders import nucleic_acid, operator
from e2e.browser import save_screenshot
from e2e.conftest import LiveServer
from e2e.test_resident_pages import apply, sign_in_resident
from healthcode.domain.facts import Fact, Person, Source
from healthcode.domain.identity import IdType
from healthcode.services.facts import record_facts

SELF = Person(IdType.RESIDENT_ID, "330106198506122133", "陈晓明")
CLAUSE_ID = re.compile(r"[(（]\s*[A-DMS]\d+\b")


def report_fever(page: Page, server: LiveServer) -> str:
    """The resident reports a fever on his own symptoms page; his card turns yellow (A3)."""
    person_id = page.locator(".code-card").first.get_attribute("data-person-id")
    assert person_id
    page.goto(f"{server.url}/symptoms/{person_id}")
    page.check("#symptom-fever")
    page.click("#symptoms button[type=submit]")
    expect(page.locator("#status")).to_contain_text("黄码")
    page.goto(f"{server.url}/")
    return person_id


def test_a_yellow_card_says_what_to_do_and_when_and_symptoms_resolved_turns_it_green__A3_M4(
    page: Page, live_server: LiveServer
) -> None:
    sign_in_resident(page, live_server)
    apply(page, live_server, SELF.id_number, SELF.name or "", family=False)
    card = page.locator(".code-card").first
    expect(card.locator(".next-steps")).to_contain_text("无需办理任何事项")
    expect(card.locator(".next-review")).to_contain_text("保持绿码")
    report_fever(page, live_server)

    expect(card).to_have_attribute("data-colour", "yellow")
    steps = card.locator(".next-steps li")
    expect(steps.nth(0)).to_contain_text("核酸检测")
    expect(steps.nth(1)).to_contain_text("症状已消除")
    expect(card.locator(".next-review")).to_contain_text("即自动重新赋码")
    save_screenshot(page, "resident_yellow_next_steps")

    card.locator("li[data-action=symptoms_resolved] a").click()
    expect(page.locator("#action-resolved")).to_be_checked()  # one press left: submit
    page.click("#symptoms button[type=submit]")
    expect(page.locator("#status")).to_contain_text("绿码")


def test_the_colour_is_announced_on_load_and_when_it_changes__A1(
    page: Page, live_server: LiveServer
) -> None:
    sign_in_resident(page, live_server)
    apply(page, live_server, SELF.id_number, SELF.name or "", family=False)
    announcer = page.locator("#colour-announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    expect(announcer).to_have_text("陈*明（本人）：绿码")
    report_fever(page, live_server)
    expect(announcer).to_have_text("陈*明（本人）：黄码")

    # A negative test sampled after the report arrives; the page is looked at again.
    time.sleep(1)  # sampled strictly after the report
    now = datetime.now(UTC)
    test = nucleic_acid("negative", now, now)
    with live_server.runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [Fact("neg-1", Source.HEALTH, SELF, test.occurred_at, test.payload)])
    with page.expect_navigation():
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.locator(".code-card").first).to_have_attribute("data-colour", "green")
    expect(announcer).to_have_text("健康码颜色已变化。陈*明（本人）：绿码")


def test_the_card_reads_in_order_name_colour_code_then_what_to_do__A1(
    page: Page, live_server: LiveServer
) -> None:
    sign_in_resident(page, live_server)
    apply(page, live_server, SELF.id_number, SELF.name or "", family=False)
    report_fever(page, live_server)
    read = page.locator(".code-card").first.aria_snapshot()
    order = [
        read.index("陈*明"),
        read.index("黄码"),
        read.index("img"),
        read.index("为什么是这个颜色"),
        read.index("接下来可以做什么"),
    ]
    assert order == sorted(order), read


def test_english_reasons_name_no_clause_and_the_paper_code_names_its_authority__A8(
    page: Page, live_server: LiveServer
) -> None:
    sign_in_resident(page, live_server)
    apply(page, live_server, SELF.id_number, SELF.name or "", family=False)
    person_id = report_fever(page, live_server)
    page.goto(f"{live_server.url}/?lang=en")
    main = page.locator("main").inner_text()
    assert "when the symptoms are gone" in main
    assert not CLAUSE_ID.search(main), main
    page.goto(f"{live_server.url}/paper/{person_id}?lang=zh")
    issuer = page.locator(".issuer-name")
    expect(issuer).to_have_text("浙江省新型冠状病毒肺炎疫情防控工作领导小组办公室")
    assert "CN-33" not in page.locator("main").inner_text()
    save_screenshot(page, "resident_paper_issuer")

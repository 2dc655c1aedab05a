"""An appeal in a real browser (S6): a resident with a yellow code calls 12345, the operator records
the call, the handler of his county adds the missing negative test and answers; his code turns
green, the answer appears on his appeal page, and the operator reads it when he calls back.
Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, Page, expect

from builders import fact, operator
from e2e.browser import save_screenshot
from e2e.conftest import LiveServer
from e2e.test_resident_pages import PHONE, apply, sign_in_resident
from e2e.test_web_pages import PASSWORD, colour_of
from healthcode.domain.facts import Person, Source, Symptom, Symptoms, SymptomsAction
from healthcode.domain.identity import IdType
from healthcode.domain.roles import Role
from healthcode.domain.timezones import CHINA_TIME
from healthcode.security.totp import code_at
from healthcode.services.accounts import create_staff
from healthcode.services.facts import record_facts

ID_NUMBER = "330106198506122133"
XIHU = "330106"


def staff_page(
    browser: Browser, server: LiveServer, login: str, role: Role, region: str | None = None
) -> Page:
    """A new browser context where a staff member of `role` (scoped to `region`) is signed in."""
    with server.runtime.unit_of_work(operator("security-admin")) as uow:
        account = create_staff(uow, login, [role], region, password=PASSWORD)
    page = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    page.goto(f"{server.url}/console/sign-in")
    page.fill("#username", login)
    page.fill("#password", PASSWORD)
    page.fill("#otp", code_at(account.totp_secret, datetime.now(UTC)))
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/console")
    return page


def local(hours_ago: float) -> str:
    """A datetime-local field's value, in Zhejiang time."""
    instant = datetime.now(CHINA_TIME) - timedelta(hours=hours_ago)
    return instant.strftime("%Y-%m-%dT%H:%M")


def report_fever(server: LiveServer, who: Person) -> None:
    """He told the code page he had a fever three hours ago: yellow until a negative test (M4)."""
    report = Symptoms(SymptomsAction.REPORT, (Symptom.FEVER,))
    when = datetime.now(CHINA_TIME) - timedelta(hours=3)
    with server.runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [fact(report, when, who, Source.RESIDENT)])


def record_the_call(browser: Browser, server: LiveServer) -> tuple[Page, int]:
    desk = staff_page(browser, server, "hotline1", Role.HOTLINE_OPERATOR)
    desk.goto(f"{server.url}/console/appeals")
    desk.fill("#intake-id-number", ID_NUMBER)
    desk.fill("#intake-phone", PHONE)
    desk.select_option("#intake-category", "missing_test_result")
    desk.fill("#intake-text", "昨天做了核酸，结果阴性，但健康码还是黄码。")
    desk.select_option("#intake-region", XIHU)  # picked by name: 杭州市西湖区
    desk.click("#intake-submit")
    status = desk.locator("#intake-status")
    expect(status).to_contain_text("已受理")
    expect(status).to_contain_text("承办：县（市、区） 杭州市西湖区")  # confirmed by name
    save_screenshot(desk, "appeals_intake")
    return desk, int(status.get_attribute("data-appeal") or 0)


def look_up_on_callback(desk: Page, appeal_id: int) -> None:
    """He calls again: the operator reads the answer the handler gave (the same record)."""
    desk.fill("#lookup-id-number", ID_NUMBER)
    desk.click("#lookup-submit")
    found = desk.locator(f'#lookup-results [data-appeal="{appeal_id}"]')
    expect(found.locator(".lookup-answer")).to_contain_text("健康码已由黄码变为绿码")
    timeline = found.locator("table")
    expect(timeline).to_contain_text("补录事实")
    # Its notes named as on the appeal page: the channel, the unit, the colours (issue #14 item 4).
    expect(timeline).to_contain_text("渠道：12345 热线")
    expect(timeline).to_contain_text("县（市、区） 杭州市西湖区")
    expect(timeline).to_contain_text("黄码 → 绿码")
    expect(timeline).not_to_contain_text("channel=")
    expect(timeline).not_to_contain_text("yellow")
    save_screenshot(desk, "appeals_callback")


def correct_and_answer(browser: Browser, server: LiveServer, appeal_id: int) -> None:
    handler = staff_page(browser, server, "xihu1", Role.LOCAL_HANDLER, XIHU)
    handler.goto(f"{server.url}/console/appeals")
    expect(handler.locator(f'#queue tr[data-appeal="{appeal_id}"]')).to_have_attribute(
        "data-overdue", "false"
    )
    handler.click(f"#open-{appeal_id}")
    expect(handler.locator("#snapshot-colour")).to_have_attribute("data-colour", "yellow")
    handler.fill("#test-sampled-at", local(1))
    handler.fill("#test-known-at", local(0.5))
    handler.click("#add-test")
    expect(handler.locator("#action-status")).to_contain_text("黄码 → 绿码")
    expect(handler.locator("#colour-now")).to_have_attribute("data-colour", "green")
    expect(handler.locator('#timeline tr[data-kind="fact_added"]')).to_have_count(1)
    handler.fill("#answer-text-input", "已补录您的核酸阴性结果。")
    handler.click("#send-answer")
    expect(handler.locator("#appeal-answer")).to_contain_text("健康码已由黄码变为绿码")
    save_screenshot(handler, "appeals_detail")
    handler.goto(f"{server.url}/console/appeals/oversight")
    expect(handler.locator(f'#table-appeal-regions tr[data-region="{XIHU}"]')).to_be_visible()
    expect(handler.locator("#chart-appeals")).to_be_visible()
    save_screenshot(handler, "appeals_oversight")


def test_a_call_is_recorded_corrected_by_the_county_and_answered__S6(
    page: Page, browser: Browser, live_server: LiveServer
) -> None:
    sign_in_resident(page, live_server)
    apply(page, live_server, ID_NUMBER, "陈晓明", family=False)
    him = Person(IdType.RESIDENT_ID, ID_NUMBER)
    report_fever(live_server, him)
    page.reload()
    card = page.locator(".code-card")
    expect(card).to_have_attribute("data-colour", "yellow")

    desk, appeal_id = record_the_call(browser, live_server)
    assert appeal_id > 0
    correct_and_answer(browser, live_server, appeal_id)
    look_up_on_callback(desk, appeal_id)

    assert colour_of(live_server, him) == "green"
    page.reload()
    expect(card).to_have_attribute("data-colour", "green")
    expect(page.locator(".appeal-answered")).to_be_visible()
    page.click(".appeal-answered a")
    answer = page.locator(f'.appeal-item[data-appeal-id="{appeal_id}"] .appeal-answer')
    expect(answer).to_contain_text("健康码已由黄码变为绿码")
    expect(answer).to_contain_text("已补录您的核酸阴性结果。")
    save_screenshot(page, "appeals_resident_answer")

"""Repeat appeals in a real browser (S6): a resident appeals online, then calls 12345 twice; his
appeal page shows one appeal, with the calls merged into it, and the one answer cites the number
each call was given. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from builders import operator
from e2e.browser import save_screenshot
from e2e.conftest import LiveServer
from e2e.test_resident_pages import PHONE, apply, sign_in_resident
from healthcode.domain.appeals import AppealCategory, Language
from healthcode.domain.facts import PersonKey
from healthcode.domain.identity import IdType
from healthcode.services.appeals.answers import answer_appeal
from healthcode.services.appeals.filing import file_appeal_by_call
from healthcode.services.messages import OutboxSender
from healthcode.services.sign_in import staff_principal

KEY = PersonKey(IdType.RESIDENT_ID, "330106198506122133")


def test_repeat_calls_show_as_one_appeal_citing_every_number__S6(
    page: Page, live_server: LiveServer
) -> None:
    sign_in_resident(page, live_server)
    apply(page, live_server, KEY.id_number, "陈晓明", family=False)
    person_id = page.locator(".code-card").first.get_attribute("data-person-id")
    page.goto(f"{live_server.url}/appeal/{person_id}")
    page.fill("#text", "我没有症状，为什么要申诉两次？")
    page.click("#appeal button[type=submit]")
    expect(page.locator("#filed")).to_be_visible()
    first = int(page.locator(".appeal-item").first.get_attribute("data-appeal-id") or 0)

    calls = []
    for _ in range(2):
        with live_server.runtime.unit_of_work(operator("hotline-operator", "intake")) as uow:
            filed = file_appeal_by_call(
                uow, KEY, PHONE, AppealCategory.WRONG_COLOUR, "又来电", Language.ZH, None
            )
        assert (filed.merged, filed.primary_id) == (True, first)
        calls.append(filed.appeal_id)
    handler = staff_principal("s-h", "h", ("local-handler",), "330106")
    with live_server.runtime.unit_of_work(operator("local-handler", "answer")) as uow:
        answer_appeal(uow, handler, first, OutboxSender(), "经核实，颜色无误。")

    page.reload()
    items = page.locator(".appeal-item")
    expect(items).to_have_count(1)
    expect(items.first.locator(".appeal-repeats")).to_contain_text(f"{calls[0]}、{calls[1]}")
    expect(items.first.locator(".appeal-answer")).to_contain_text(
        f"编号 {first}，含合并的重复申诉 {calls[0]}、{calls[1]}"
    )
    save_screenshot(page, "appeals_resident_merged")

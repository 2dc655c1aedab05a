"""What a newcomer meets in a browser (issue #14 items 2, 4, 7): the API explorer with no
network, an unknown address as a page, English kept through the sign-in redirect, and a code
asked for again too soon answered with the wait."""

from __future__ import annotations

from playwright.sync_api import Page, Route, expect

from e2e.browser import save_screenshot
from e2e.conftest import LiveServer


def test_the_api_explorer_works_without_any_network(page: Page, live_server: LiveServer) -> None:
    """Only our own origin is reachable from this page: Swagger UI must come from it."""
    elsewhere: list[str] = []

    def only_ours(route: Route) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_ours)
    page.goto(f"{live_server.url}/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("HealthCode")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert elsewhere == []
    save_screenshot(page, "api_docs_offline")


def test_an_unknown_address_is_a_page_in_each_language(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/no-such-page")
    expect(page.locator("h1")).to_have_text("找不到该页面")
    save_screenshot(page, "not_found_zh")
    page.goto(f"{live_server.url}/no-such-page?lang=en")
    expect(page.locator("h1")).to_have_text("Page not found")
    save_screenshot(page, "not_found_en")


def test_english_is_kept_through_the_sign_in_redirect(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/console?lang=en")
    page.wait_for_url("**/console/sign-in?next=/console&lang=en")
    expect(page.locator("h1")).to_have_text("Staff sign-in")
    page.goto(f"{live_server.url}/?lang=en")
    page.wait_for_url("**/sign-in?next=/&lang=en")
    expect(page.locator("h1")).to_have_text("Sign in with your mobile number")


def test_a_second_code_too_soon_shows_the_wait_and_holds_the_button(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(f"{live_server.url}/sign-in")
    send = page.locator("#ask button[type=submit]")
    send.click()  # no number yet: said where it goes, nothing sent
    expect(page.locator("#status")).to_have_text("请输入手机号码。")
    expect(page.locator("#phone")).to_be_focused()
    page.fill("#phone", "13800000021")
    send.click()
    expect(page.locator("#status")).to_have_text("验证码已发送。")
    send.click()
    expect(page.locator("#status")).to_contain_text("验证码已发送，请")
    expect(page.locator("#status")).to_contain_text("秒后再试。")
    expect(send).to_be_disabled()
    expect(send).to_contain_text("秒）")
    save_screenshot(page, "sign_in_code_wait")

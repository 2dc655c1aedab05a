"""The console's venue and staff forms in a real browser (issue #14 item 4): a region is picked
by its name, as on the 12345 form, and the account or venue it creates is in that region."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from e2e.conftest import LiveServer
from e2e.test_web_pages import sign_in_staff
from healthcode.domain.roles import Role

XIHU = "330106"  # 杭州市西湖区


def test_a_venue_is_registered_in_a_region_picked_by_name(
    browser: Browser, live_server: LiveServer
) -> None:
    admin = sign_in_staff(browser, live_server, Role.SYSTEM_ADMIN, "venue-admin")
    admin.goto(f"{live_server.url}/console/venues")
    admin.fill("#venue-id", "mall-picked")
    admin.fill("#venue-name", "西溪印象城")
    admin.select_option("#venue-region", label="杭州市西湖区")
    admin.click("#register-venue")
    expect(admin.locator("#venue-status")).to_be_visible()
    listed_in_xihu(admin, f"{live_server.url}/console/venues", 'tr[data-venue="mall-picked"]')


def test_a_local_handler_is_created_in_a_region_picked_by_name(
    browser: Browser, live_server: LiveServer
) -> None:
    admin = sign_in_staff(browser, live_server, Role.SECURITY_ADMIN, "staff-admin")
    admin.goto(f"{live_server.url}/console/staff")
    admin.fill("#staff-username", "xihu-handler")
    admin.check(f"#staff-role-{Role.LOCAL_HANDLER.value}")
    admin.select_option("#staff-region", label="杭州市西湖区")
    admin.click("#create-staff")
    expect(admin.locator("#staff-form-status")).to_contain_text("已创建：xihu-handler")
    listed_in_xihu(admin, f"{live_server.url}/console/staff", 'tr[data-staff="xihu-handler"]')


def listed_in_xihu(page: Page, url: str, row: str) -> None:
    """The list, opened again, has the new row in the region picked, by code and by name."""
    page.goto(url)
    region = page.locator(f"{row} td[data-region]")
    expect(region).to_have_attribute("data-region", XIHU)
    expect(region).to_have_text("杭州市西湖区")
    page.context.close()

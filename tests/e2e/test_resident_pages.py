"""A resident in a real browser: signs in with a text-message code, applies for himself and his
mother (who has no phone), shows both codes; a checkpoint then reads the code shown on his page."""

from __future__ import annotations

import re
from pathlib import Path

import zxingcpp
from playwright.sync_api import Browser, Page, expect

from builders import on_register, operator
from e2e.browser import png_grey_pixels, save_screenshot
from e2e.conftest import LiveServer
from e2e.test_web_pages import sign_in_staff
from healthcode.domain.areas import RiskLevel
from healthcode.domain.facts import Person
from healthcode.domain.identity import IdType
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.services.checkpoint.venues import register_venue

PHONE = "13800000001"


def scanned(png: bytes) -> str:
    """What a real decoder (zxing-cpp) reads in a screenshot: only QR codes are looked for."""
    width, height, pixels = png_grey_pixels(png)
    image = memoryview(pixels).cast("B", (height, width))
    (found,) = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    return str(found.text)


def sign_in_resident(page: Page, server: LiveServer) -> None:
    """陈晓明 signs in with the phone the population register has for him; his mother is in his
    household there, with no phone (so he may bind her at once, S3)."""
    with server.runtime.unit_of_work(operator("department_client", "record the register")) as uow:
        on_register(uow, Person(IdType.RESIDENT_ID, "330106198506122133", "陈晓明"), "H1", PHONE)
        on_register(uow, Person(IdType.RESIDENT_ID, "330106194303052421", "王桂英"), "H1")
    page.goto(f"{server.url}/")
    page.wait_for_url("**/sign-in?next=/")
    page.fill("#phone", PHONE)
    page.click("#ask button[type=submit]")
    expect(page.locator("#code")).to_be_visible()
    outbox = page.context.new_page()
    outbox.goto(f"{server.url}/dev/outbox")
    found = re.search(r"\b(\d{6})\b", outbox.locator(".outbox-body").first.inner_text())
    assert found is not None
    outbox.close()
    page.fill("#code", found[1])
    page.click("#confirm button[type=submit]")
    page.wait_for_url(f"{server.url}/")


def apply(page: Page, server: LiveServer, id_number: str, name: str, *, family: bool) -> None:
    page.goto(f"{server.url}/apply")
    page.check("#for-family" if family else "#for-self")
    if family:
        page.select_option("#relationship", "parent")
        page.check("#consent")
    page.fill("#id_number", id_number)
    page.fill("#name", name)
    page.click("#submit")
    page.wait_for_url(f"{server.url}/")


def test_a_resident_applies_for_his_mother_and_shows_both_codes__A1_S3(
    page: Page, browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    sign_in_resident(page, live_server)
    apply(page, live_server, "330106198506122133", "陈晓明", family=False)
    apply(page, live_server, "330106194303052421", "王桂英", family=True)
    cards = page.locator(".code-card")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_have_attribute("data-colour", "green")
    expect(cards.nth(1)).to_have_attribute("data-colour", "green")
    expect(page.locator("main")).to_contain_text("王*英")
    assert "王桂英" not in page.content()  # names are masked on screen (D2)
    save_screenshot(page, "resident_codes")

    qr = page.locator("img.qr-image").first
    expect(qr).to_have_attribute("data-drawn", "device")  # drawn by the phone, not sent as PNG
    picture = tmp_path / "shown.png"
    qr.screenshot(path=picture)  # the code as the phone shows it
    assert scanned(picture.read_bytes()) == qr.get_attribute("data-token")
    with live_server.runtime.unit_of_work(operator("system-admin")) as uow:
        register_venue(uow, "mall-2", "湖滨银泰", Venue.MALL, "330106", RiskLevel.MEDIUM)
    checker = sign_in_staff(browser, live_server, Role.CHECKPOINT, "gate")
    checker.goto(f"{live_server.url}/checkpoint")
    expect(checker.locator("#trust-status")).to_contain_text("信任列表已验证")
    checker.set_input_files("#picture", picture)
    expect(checker.locator("#answer")).to_have_attribute("data-decision", "allow")
    expect(checker.locator("#answer-who")).to_have_text("陈*明")


def test_a_binding_waits_for_the_code_sent_to_the_persons_phone__D2(
    page: Page, live_server: LiveServer
) -> None:
    """His brother has a phone on record: the page waits, shows nothing, and the code the brother
    received (and tells him) completes it."""
    brother = Person(IdType.RESIDENT_ID, "330106198810102137", "陈晓东")
    with live_server.runtime.unit_of_work(operator("department_client", "register")) as uow:
        on_register(uow, brother, "H2", "13800000011")
    sign_in_resident(page, live_server)
    apply(page, live_server, "330106198506122133", "陈晓明", family=False)
    page.goto(f"{live_server.url}/apply")
    page.check("#for-family")
    page.select_option("#relationship", "sibling")
    page.check("#consent")
    page.fill("#id_number", brother.id_number)
    page.fill("#name", "陈晓东")
    page.click("#submit")
    expect(page.locator("#pending")).to_be_visible()
    expect(page.locator("#pending-reference")).not_to_be_empty()
    outbox = page.context.new_page()
    outbox.goto(f"{live_server.url}/dev/outbox")
    found = re.search(r"验证码 (\d{6})", outbox.locator(".outbox-body").first.inner_text())
    assert found is not None
    outbox.close()
    page.fill("#code", found[1])
    page.click("#confirm button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator(".code-card")).to_have_count(2)

"""The checkpoint page as its staff use it, in a real browser against the real server: it starts
at a venue that checks codes; a red code reads red even where codes are not checked (S2, M1);
every credential of S4 is a few presses; one person's answer never stays for the next; the
shared device signs out. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from builders import fact, isolation, nucleic_acid, operator
from e2e.browser import save_screenshot
from e2e.conftest import LiveServer
from e2e.test_web_pages import PASSWORD, sign_in_staff
from healthcode.domain.applications import Channel
from healthcode.domain.areas import RiskLevel
from healthcode.domain.certificates import InstitutionKind, Statement
from healthcode.domain.facts import Person
from healthcode.domain.identity import IdType
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.security.totp import code_at
from healthcode.services.accounts import create_staff
from healthcode.services.checkpoint.institutions import issue_certificate, register_institution
from healthcode.services.checkpoint.venues import register_venue
from healthcode.services.codes.issuing import issue_code
from healthcode.services.facts import record_facts
from healthcode.services.households.applications import apply_for_code
from healthcode.tokens.qr import qr_png

GREEN = Person(IdType.RESIDENT_ID, "330106198506122133", name="陈晓明")
RED = Person(IdType.RESIDENT_ID, "330106198810102137", name="张伟东")
GRANDMA = Person(IdType.RESIDENT_ID, "330106194303052421", name="王桂英")


def venues(server: LiveServer) -> None:
    """A park in a low-risk area, listed first, where codes are not checked (S2), and a mall in a
    medium-risk area, where they are."""
    with server.runtime.unit_of_work(operator("system-admin")) as uow:
        register_venue(uow, "a-park", "西湖公园", Venue.PARK, "330106", RiskLevel.LOW)
        register_venue(uow, "b-mall", "银泰商场", Venue.MALL, "330106", RiskLevel.MEDIUM)


def picture(server: LiveServer, tmp_path: Path, who: Person, *, paper: bool = False) -> Path:
    with server.runtime.unit_of_work(operator("system-admin")) as uow:
        apply_for_code(uow, who, channel=Channel.WEB)
        token = issue_code(uow, who.key, paper=paper).text
    path = tmp_path / f"{who.id_number}-{'paper' if paper else 'phone'}.png"
    path.write_bytes(qr_png(token, scale=6))
    return path


def checkpoint(browser: Browser, server: LiveServer) -> Page:
    page = sign_in_staff(browser, server, Role.CHECKPOINT, "checker")
    page.goto(f"{server.url}/checkpoint")
    expect(page.locator("#trust-status")).to_contain_text("信任列表已验证")
    return page


def test_a_red_code_reads_red_where_codes_are_not_checked__S2_M1(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    venues(live_server)
    now = datetime.now(UTC)
    with live_server.runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [fact(isolation("start", now - timedelta(hours=2)).payload, now, RED)])
    red = picture(live_server, tmp_path, RED)
    green = picture(live_server, tmp_path, GREEN)
    page = checkpoint(browser, live_server)
    # The page starts at the venue that checks, although the park comes first in the list.
    expect(page.locator("#venue")).to_have_value("b-mall")
    expect(page.locator("#venue option[value=a-park]")).to_contain_text("一般不查验健康码")

    page.select_option("#venue", "a-park")
    page.set_input_files("#picture", green)
    answer = page.locator("#answer")
    expect(answer).to_have_attribute("data-decision", "not_checked")
    expect(page.locator("#answer-word")).to_have_text("免查验")
    expect(page.locator("#answer-colour")).to_have_text("绿码")
    expect(page.locator("#answer-why")).to_contain_text("一般不查验健康码")

    page.set_input_files("#picture", red)
    expect(answer).to_have_attribute("data-colour", "red")
    expect(answer).to_have_attribute("data-decision", "not_checked")
    expect(page.locator("#answer-colour")).to_have_text("红码")
    expect(page.locator("#answer-why")).to_contain_text("点对点")
    expect(page.locator("#answer-why")).to_contain_text("12345")
    save_screenshot(page, "checkpoint_red_not_checked")

    # The device stays at its venue: the next page load starts where the staff left it.
    page.reload()
    expect(page.locator("#venue")).to_have_value("a-park")


def test_the_same_picture_twice_is_decided_twice_and_the_screen_clears__S4_D2(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    venues(live_server)
    green = picture(live_server, tmp_path, GREEN)
    page = checkpoint(browser, live_server)
    decisions: list[str] = []
    page.on("response", lambda r: decisions.append(r.url) if "/api/v1/verify" in r.url else None)
    answer = page.locator("#answer")
    for _ in range(2):
        with page.expect_response("**/api/v1/verify"):
            page.set_input_files("#picture", green)
        expect(answer).to_have_attribute("data-decision", "allow")
        expect(page.locator("#answer-who")).to_have_text("陈*明")
    assert len(decisions) == 2
    page.click("#next-person")
    expect(answer).to_have_attribute("data-decision", "waiting")
    expect(page.locator("#answer-who")).to_be_empty()
    expect(page.locator("#answer-why")).to_be_empty()
    expect(page.locator("#answer-colour")).to_be_hidden()


def test_every_credential_of_S4_takes_at_most_three_actions__S4(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    venues(live_server)
    now = datetime.now(UTC)
    negative = nucleic_acid("negative", now - timedelta(days=1))
    with live_server.runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [fact(negative.payload, negative.occurred_at, GRANDMA)])
    paper = picture(live_server, tmp_path, GRANDMA, paper=True)
    with live_server.runtime.unit_of_work(operator("institution", "certificate")) as uow:
        register_institution(uow, "lingyin", "灵隐街道社区", InstitutionKind.COMMUNITY, "330106")
        text = issue_certificate(uow, "lingyin", GRANDMA.key, Statement.LOW_RISK_RESIDENT).text
    certificate = tmp_path / "certificate.png"
    certificate.write_bytes(qr_png(text, scale=4))
    page = checkpoint(browser, live_server)
    answer, why = page.locator("#answer"), page.locator("#answer-why")

    page.set_input_files("#picture", paper)  # a paper code: one action
    expect(answer).to_have_attribute("data-decision", "allow")
    expect(page.locator("#answer-who")).to_have_text("王*英")
    page.click("#next-person")

    page.set_input_files("#picture", certificate)  # a certificate, photographed: one action
    expect(answer).to_have_attribute("data-decision", "allow")
    expect(why).to_contain_text("灵隐街道社区")

    for button, decision, said in (
        ("#check-test", "allow", "核酸"),
        ("#check-registration", "allow", "有效身份证件登记"),
        ("#check-itinerary-clear", "allow", "通信行程卡（辅助）未显示中高风险地区"),
        ("#check-itinerary-risk", "deny", "重点人群"),
    ):
        page.fill("#id-number", GRANDMA.id_number)  # 1
        page.fill("#id-name", "王桂英")  # 2
        with page.expect_response("**/api/v1/checkpoint/*"):
            page.click(button)  # 3
        expect(answer).to_have_attribute("data-decision", decision)
        expect(why).to_contain_text(said)
        # Nothing typed stays on the shared screen.
        expect(page.locator("#id-number")).to_have_value("")
        expect(page.locator("#id-name")).to_have_value("")
    save_screenshot(page, "checkpoint_itinerary_card")


def test_the_shared_device_signs_out__D2(browser: Browser, live_server: LiveServer) -> None:
    venues(live_server)
    page = checkpoint(browser, live_server)
    page.click("#sign-out")
    page.wait_for_url("**/console/sign-in?next=/checkpoint")
    page.goto(f"{live_server.url}/checkpoint")
    page.wait_for_url("**/console/sign-in?next=/checkpoint")


def test_a_community_clerk_issues_a_certificate_in_the_console_that_the_checkpoint_reads__S4(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    venues(live_server)
    with live_server.runtime.unit_of_work(operator("system-admin")) as uow:
        register_institution(uow, "beishan", "北山街道社区", InstitutionKind.COMMUNITY, "330106")
    with live_server.runtime.unit_of_work(operator("security-admin")) as uow:
        clerk = create_staff(
            uow, "clerk", [Role.INSTITUTION_STAFF], password=PASSWORD, institution="beishan"
        )
    desk = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    desk.goto(f"{live_server.url}/console/sign-in")
    desk.fill("#username", "clerk")
    desk.fill("#password", PASSWORD)
    desk.fill("#otp", code_at(clerk.totp_secret, datetime.now(UTC)))
    desk.click("button[type=submit]")
    desk.wait_for_url(f"{live_server.url}/console")
    desk.click("#nav-certificates")
    expect(desk.locator("#institution-name")).to_have_text("北山街道社区")
    desk.fill("#certificate-id-number", GRANDMA.id_number)  # 1
    desk.click("#issue-certificate")  # 2
    expect(desk.locator("#certificate-sheet")).to_be_visible()
    expect(desk.locator("#certificate-institution")).to_have_text("北山街道社区")
    expect(desk.locator("#certificate-id-number")).to_have_value("")
    save_screenshot(desk, "console_certificate_issued")
    source = desk.locator("#certificate-qr").get_attribute("src") or ""
    printed = tmp_path / "printed.png"
    printed.write_bytes(base64.b64decode(source.split(",", 1)[1]))

    page = checkpoint(browser, live_server)
    page.set_input_files("#picture", printed)
    expect(page.locator("#answer")).to_have_attribute("data-decision", "allow")
    expect(page.locator("#answer-why")).to_contain_text("北山街道社区开具的纸质证明")

"""The checkpoint page reads an inbound traveller's foreign certificate (issue #15; A8, S1, S5):
a real browser decodes the QR picture with its own reader, the real server verifies it against its
trust folder, and the verdict shows in Chinese and English together, the name masked (D2)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Browser, expect

from e2e.browser import save_screenshot
from e2e.conftest import LiveServer
from e2e.test_web_pages import sign_in_staff
from foreign_builders import VACCINATION, claims, cose, dcc, dsc, hc1
from healthcode.demo.foreign_trust import EXAMPLES_DIR, install_demo_trust
from healthcode.domain.roles import Role
from healthcode.tokens.qr import qr_png

VECTORS = Path(__file__).parents[1] / "conformance" / "dcc"


def trust_folder(server: LiveServer) -> Path:
    folder = server.runtime.settings.foreign_trust_dir
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_member_states_expired_certificate_is_shown_not_valid_with_why__S1(
    browser: Browser, live_server: LiveServer
) -> None:
    vector = json.loads((VECTORS / "DE" / "2DCode" / "raw" / "1.json").read_text("utf-8"))
    certificate = base64.b64decode(vector["TESTCTX"]["CERTIFICATE"])
    (trust_folder(live_server) / "de-dsc.der").write_bytes(certificate)
    page = sign_in_staff(browser, live_server, Role.CHECKPOINT, "checker")
    page.goto(f"{live_server.url}/checkpoint")
    page.set_input_files("#picture", VECTORS / "DE" / "2DCode" / "png" / "1.png")
    expect(page.locator("#answer")).to_have_attribute("data-decision", "foreign_invalid")
    expect(page.locator("#answer-word")).to_have_text("境外证书无效")
    expect(page.locator("#foreign-title")).to_have_text(
        "欧盟数字新冠证书 / EU Digital COVID Certificate: 无效 / not valid"
    )
    expect(page.locator("#foreign-checks li[data-outcome=false]")).to_have_text(
        ["有效期 / expiry: 未通过 / failed"]
    )
    expect(page.locator("#foreign-reasons li").first).to_have_text(
        "证书已过期 / the certificate has expired"
    )
    expect(page.locator("#foreign-facts li")).to_have_count(0)
    save_screenshot(page, "checkpoint_foreign_expired")


def test_a_valid_certificate_shows_its_fact_and_a_masked_name__A8_S5_D2(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    signer = dsc(not_before=now - timedelta(days=1), not_after=now + timedelta(days=365))
    pem = signer.public_bytes(serialization.Encoding.PEM)
    (trust_folder(live_server) / "at-dsc.pem").write_bytes(pem)
    payload = claims(
        dcc(v=[VACCINATION]), issued=now - timedelta(hours=1), expires=now + timedelta(days=30)
    )
    picture = tmp_path / "dcc.png"
    picture.write_bytes(qr_png(hc1(cose(payload, signer)), scale=4))
    page = sign_in_staff(browser, live_server, Role.CHECKPOINT, "checker")
    page.goto(f"{live_server.url}/checkpoint")
    page.set_input_files("#picture", picture)
    expect(page.locator("#answer")).to_have_attribute("data-decision", "foreign_valid")
    expect(page.locator("#answer-who")).to_have_text("M*********-G*******, G*******")
    expect(page.locator("#foreign-checks li[data-outcome=true]")).to_have_count(5)
    expect(page.locator("#foreign-facts li")).to_have_text(
        ["疫苗接种 / vaccination · AT · 2021-05-20 · M*********-G*******, G******* (1998-02-26)"]
    )
    expect(page.locator("body")).not_to_contain_text("Gößinger")
    save_screenshot(page, "checkpoint_foreign_valid")


def test_the_demos_sample_card_verifies_with_the_demos_trust__A8_S1(
    browser: Browser, live_server: LiveServer
) -> None:
    """What `make run` offers a checker: the demo's trust folder and its sample pictures (the
    SMART Health Card, which never expires; the NZ COVID Pass is checked in cli/test_demo.py at a
    fixed instant, as it expires in 2031)."""
    settings = live_server.runtime.settings
    install_demo_trust(settings.foreign_trust_dir, settings.data_dir)
    page = sign_in_staff(browser, live_server, Role.CHECKPOINT, "checker")
    page.goto(f"{live_server.url}/checkpoint")
    page.set_input_files("#picture", settings.data_dir / EXAMPLES_DIR / "shc-example.png")
    expect(page.locator("#answer")).to_have_attribute("data-decision", "foreign_valid")
    expect(page.locator("#foreign-title")).to_have_text(
        "SMART 健康卡 / SMART Health Card: 有效 / valid"
    )

"""The checkpoint's browser side in real chromium (A6, S1): codes verified offline, QR codes read.

hz1.js must accept a code exactly when the server would and refuse it for the same reason, so
most tests here are differential: the same code goes through `verify_code` in Python and through
`verifyToken` in the page, and both answers are checked against the expected one. scanner.js must
read the QR images `healthcode.tokens.qr` makes, from an image and from a camera.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cbor2
import pytest
from playwright.sync_api import Browser, Page, Playwright, Route

from codes_builders import ISSUED, code, signed_list, signing_key, trusted
from e2e.browser import STATIC, fake_camera_browser, save_screenshot, serve, write_fake_camera
from healthcode.domain.areas import RiskLevel
from healthcode.domain.rules import Colour
from healthcode.domain.timezones import display_instant
from healthcode.domain.venues import Venue
from healthcode.services.codes.trust import ListTrust
from healthcode.services.codes.verification import Verification, verify_code
from healthcode.tokens import PREFIX, CodeVersion
from healthcode.tokens.base45 import ALPHABET, b45decode, b45encode
from healthcode.tokens.base64url import b64url_decode, b64url_encode
from healthcode.tokens.cose import P256_ORDER
from healthcode.tokens.gateway_lists import GATEWAY_LIST_TYPE
from healthcode.tokens.jwk import public_jwk
from healthcode.tokens.jws import canonical_json, sign_jws
from healthcode.tokens.keys import KeyStatus
from healthcode.tokens.qr import qr_png
from healthcode.tokens.trust_lists import TrustListError, verify_trust_list

ZHEJIANG_ROOT, ZHEJIANG = signing_key("CN-33"), signing_key("CN-33")
RETIRED, REVOKED = signing_key("CN-33"), signing_key("CN-33")
STRANGER = signing_key("CN-33")  # on no list
JIANGSU_ROOT, JIANGSU = signing_key("CN-32"), signing_key("CN-32")
GATEWAY_ROOT = signing_key("CN")
ZHEJIANG_LIST = signed_list(
    ZHEJIANG_ROOT,
    [
        trusted(ZHEJIANG),
        trusted(RETIRED, status=KeyStatus.RETIRED, not_after=ISSUED + timedelta(days=7)),
        trusted(REVOKED, status=KeyStatus.REVOKED),
    ],
)
JIANGSU_LIST = signed_list(JIANGSU_ROOT, [trusted(JIANGSU)])
LISTS = [ZHEJIANG_LIST, JIANGSU_LIST]
ROOTS = [public_jwk(ZHEJIANG_ROOT.public_key), public_jwk(JIANGSU_ROOT.public_key)]
HOME = "CN-33"

# The strict policy a checkpoint page can have: only our own scripts, and compiling the reader's
# WebAssembly, which a policy must allow by name.
TEST_PAGE = """<!doctype html>
<html lang="zh-CN"><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
  content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data:">
<title>核验测试 checkpoint test</title>
<body>
<div id="result">…</div>
<script type="module" src="page.js"></script>
</body></html>
"""
TEST_PAGE_SCRIPT = """import * as hz1 from "/static/checkpoint/hz1.js";
import * as scanner from "/static/checkpoint/scanner.js";
window.hz1 = hz1;
window.scanner = scanner;
window.ready = true;
"""
# Dates leave the page as ISO text: no time zone is lost on the way to Python.
VERIFY_JS = """async ([texts, documents, roots, home, now]) => {
  const trust = await hz1.ListTrust.fromDocuments(documents, roots, home);
  const results = [];
  for (const text of texts) {
    const result = await hz1.verifyToken(text, trust, new Date(now));
    for (const name of ["issuedAt", "expiresAt"]) {
      if (result[name]) result[name] = result[name].toISOString();
    }
    results.push(result);
  }
  return results;
}"""
VERIFY_LIST_JS = """async ([document, root]) => {
  try {
    const list = await hz1.verifyTrustList(document, root);
    return {ok: true, issuer: list.issuer, kids: list.keys.map((key) => key.kid)};
  } catch (error) {
    return {ok: false, name: error.constructor.name, message: error.message};
  }
}"""
DECODE_IMAGE_JS = """async (dataUrl) => {
  const image = new Image();
  image.src = dataUrl;
  await image.decode();
  return scanner.decodeFrame(image);
}"""


@dataclass
class Checkpoint:
    """The test page, loaded with hz1.js and scanner.js from the served static folder."""

    page: Page
    base_url: str
    foreign_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def open(self) -> Checkpoint:
        self.page.context.route("**/*", self._only_our_server)
        self.page.goto(f"{self.base_url}/test/index.html")
        self.page.wait_for_function("window.ready === true", timeout=10_000)
        return self

    def verify(
        self, texts: list[str], now: datetime = ISSUED, documents: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        arguments = [texts, LISTS if documents is None else documents, ROOTS, HOME, now.isoformat()]
        results: list[dict[str, Any]] = self.page.evaluate(VERIFY_JS, arguments)
        return results

    def _only_our_server(self, route: Route) -> None:
        url = route.request.url
        self.requests.append(url)
        if url.startswith(f"{self.base_url}/"):
            route.continue_()
        else:
            # The checkpoint must work where nothing but its own server can be reached.
            self.foreign_requests.append(url)
            route.abort()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (STATIC / "vendor" / "zxing" / "zxing_reader.wasm").exists():
        pytest.fail("the QR reader is not vendored: run `make install` (npm ci + copy)")
    pages = tmp_path_factory.mktemp("pages")
    (pages / "index.html").write_text(TEST_PAGE, encoding="utf-8")
    (pages / "page.js").write_text(TEST_PAGE_SCRIPT, encoding="utf-8")
    with serve({"/static/": STATIC, "/test/": pages}) as url:
        yield url


@pytest.fixture
def checkpoint(page: Page, base_url: str) -> Checkpoint:
    return Checkpoint(page, base_url).open()


def python_verification(text: str, now: datetime = ISSUED) -> Verification:
    trust = ListTrust.from_documents(LISTS, ROOTS, home_issuer=HOME)
    return verify_code(text, trust=trust, venue=Venue.MALL, area_risk=RiskLevel.MEDIUM, now=now)


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def rewrapped(text: str, change: Callable[[list[Any]], None]) -> str:
    """`text` with its COSE_Sign1 parts changed and wrapped again, without signing again."""
    message = cbor2.loads(zlib.decompress(b45decode(text[len(PREFIX) :])))
    parts = list(message.value)
    change(parts)
    return PREFIX + b45encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(18, parts))))


def flip_signature_byte(parts: list[Any]) -> None:
    parts[3] = bytes([parts[3][0] ^ 0x01]) + parts[3][1:]


def paint_red(parts: list[Any]) -> None:
    claims = cbor2.loads(parts[2])
    claims[-260]["c"] = "red"
    parts[2] = cbor2.dumps(claims, canonical=True)


def high_s(parts: list[Any]) -> None:
    """(r, s) → (r, n - s): the malleated twin of the signature, valid to plain ECDSA."""
    s = int.from_bytes(parts[3][32:], "big")
    parts[3] = parts[3][:32] + (P256_ORDER - s).to_bytes(32, "big")


def kid_unprotected(parts: list[Any]) -> None:
    parts[1] = {4: ZHEJIANG.kid_bytes}


def wrapped(data: bytes) -> str:
    return PREFIX + b45encode(data)


def test_genuine_codes_verify_offline_in_the_browser__A6(checkpoint: Checkpoint) -> None:
    texts = [
        code(ZHEJIANG),
        code(ZHEJIANG, Colour.YELLOW, flags=("health_monitoring",)),
        code(ZHEJIANG, Colour.RED, version=CodeVersion.INTERNATIONAL),
    ]
    results = checkpoint.verify(texts)
    expected = [
        ("green", [], "domestic"),
        ("yellow", ["health_monitoring"], "domestic"),
        ("red", [], "international"),
    ]
    for result, (colour, flags, version) in zip(results, expected, strict=True):
        assert result == {
            "ok": True,
            "issuer": "CN-33",
            "kid": ZHEJIANG.kid,
            "colour": colour,
            "flags": flags,
            "version": version,
            "maskedName": "王*明",
            "medium": "phone",
            "issuedAt": utc_text(ISSUED),
            "expiresAt": utc_text(ISSUED + timedelta(minutes=5)),
            "trustListAgeSeconds": 0,
        }
    for text, result in zip(texts, results, strict=True):
        shown = python_verification(text).as_json()
        assert (shown["rejection"], shown["color"], shown["masked_name"]) == (
            None,
            result["colour"],
            result["maskedName"],
        )
    # Within the 30 s leeway either side, as the server allows for clock drift.
    late, early = ISSUED + timedelta(minutes=5, seconds=30), ISSUED - timedelta(seconds=30)
    assert [result["ok"] for result in checkpoint.verify([texts[0]], late)] == [True]
    assert [result["ok"] for result in checkpoint.verify([texts[0]], early)] == [True]
    assert checkpoint.foreign_requests == []


def test_another_provinces_code_verifies_through_the_gateway_list__S1(
    checkpoint: Checkpoint,
) -> None:
    payload = {
        "format": 1,
        "gateway": "CN",
        "issued_at": display_instant(ISSUED),
        "issuers": LISTS,
    }
    gateway = sign_jws(
        canonical_json(payload),
        GATEWAY_ROOT.private_key,
        kid=GATEWAY_ROOT.kid,
        typ=GATEWAY_LIST_TYPE,
    )
    arguments = [
        [code(JIANGSU)],
        [gateway],
        [public_jwk(GATEWAY_ROOT.public_key)],
        HOME,
        ISSUED.isoformat(),
    ]
    (result,) = checkpoint.page.evaluate(VERIFY_JS, arguments)
    assert (result["ok"], result["issuer"], result["colour"]) == (True, "CN-32", "green")
    # Without Jiangsu's list, the same code's issuer is simply unknown.
    (alone,) = checkpoint.verify([code(JIANGSU)], documents=[ZHEJIANG_LIST])
    assert (alone["ok"], alone["reason"]) == (False, "issuer_not_trusted")


REFUSALS = {
    "flipped signature byte": (rewrapped(code(ZHEJIANG), flip_signature_byte), 0, "bad_signature"),
    "colour changed after signing": (rewrapped(code(ZHEJIANG), paint_red), 0, "bad_signature"),
    "high-S twin of the signature (S1)": (rewrapped(code(ZHEJIANG), high_s), 0, "bad_signature"),
    "expired": (code(ZHEJIANG), 6, "expired"),
    "not yet valid": (code(ZHEJIANG, issued_at=ISSUED + timedelta(minutes=2)), 0, "not_yet_valid"),
    "unknown kid": (code(STRANGER), 0, "unknown_key"),
    "root key signs no codes": (code(ZHEJIANG_ROOT), 0, "unknown_key"),
    "revoked key": (code(REVOKED), 0, "revoked"),
    "retired key past its last code": (
        code(RETIRED, issued_at=ISSUED + timedelta(days=8)),
        8 * 24 * 60,
        "expired",
    ),
    "issuer not on any list": (code(signing_key("CN-44")), 0, "issuer_not_trusted"),
    "issuer no issuer can have": (code(ZHEJIANG, issuer="zhejiang"), 0, "issuer_not_trusted"),
    "another prefix": ("HC1:" + code(ZHEJIANG)[len(PREFIX) :], 0, "bad_prefix"),
    "not Base45": (PREFIX + "abc", 0, "bad_encoding"),
    "Base45 of a dangling character": (PREFIX + "0000", 0, "bad_encoding"),
    "not zlib": (wrapped(b"not zlib at all"), 0, "bad_compression"),
    "zlib cut short": (wrapped(zlib.compress(b"x" * 100)[:-3]), 0, "bad_compression"),
    "bytes after zlib": (wrapped(zlib.compress(b"x") + b"!"), 0, "bad_compression"),
    "zip bomb": (wrapped(zlib.compress(bytes(5000))), 0, "bad_compression"),
    "not COSE": (wrapped(zlib.compress(cbor2.dumps([1, 2, 3]))), 0, "bad_structure"),
    "kid in the unprotected header": (
        rewrapped(code(ZHEJIANG), kid_unprotected),
        0,
        "bad_structure",
    ),
}


@pytest.mark.parametrize(("text", "minutes", "reason"), REFUSALS.values(), ids=REFUSALS.keys())
def test_the_browser_refuses_a_code_for_the_servers_reason__A6(
    checkpoint: Checkpoint, text: str, minutes: int, reason: str
) -> None:
    now = ISSUED + timedelta(minutes=minutes)
    (result,) = checkpoint.verify([text], now)
    server = python_verification(text, now).as_json()
    assert (result["ok"], result["reason"], server["rejection"]) == (False, reason, reason)
    assert result["refusal"] == server["reason"]
    assert result["message"]["zh"] in result["refusal"]["zh"]
    # Claims are shown only once the signature has vouched for them, as the server shows them.
    assert result.get("colour") == server["color"]
    assert result.get("maskedName") == server["masked_name"]
    assert result["issuer"] == server["issuer"]
    assert result["trustListAgeSeconds"] == server["trust_list_age_seconds"]


def test_any_damage_to_a_code_is_refused_as_the_server_refuses_it__A6(
    checkpoint: Checkpoint,
) -> None:
    genuine = code(ZHEJIANG)
    body = genuine[len(PREFIX) :]
    damaged = [
        PREFIX
        + body[:at]
        + ALPHABET[(ALPHABET.index(body[at]) + 7) % len(ALPHABET)]
        + body[at + 1 :]
        for at in range(0, len(body), 5)
    ] + [genuine[:cut] for cut in range(len(PREFIX) + 1, len(genuine), 23)]
    results = checkpoint.verify(damaged)
    browser_reasons = [result.get("reason") for result in results]
    server_reasons = [python_verification(text).rejection for text in damaged]
    assert browser_reasons == server_reasons
    assert None not in browser_reasons


def test_a_trust_list_verifies_only_under_its_root__A6(checkpoint: Checkpoint) -> None:
    root = public_jwk(ZHEJIANG_ROOT.public_key)
    payload = json.loads(b64url_decode(ZHEJIANG_LIST["payload"]))
    for entry in payload["keys"]:
        entry["status"] = "active"
    payload["revoked"] = []
    unrevoked = {**ZHEJIANG_LIST, "payload": b64url_encode(canonical_json(payload))}
    cases = {
        "genuine": (ZHEJIANG_LIST, root),
        "revocation removed": (unrevoked, root),
        "another issuer's root": (ZHEJIANG_LIST, public_jwk(JIANGSU_ROOT.public_key)),
        "an unsigned member added": ({**ZHEJIANG_LIST, "header": {"kid": "x"}}, root),
        "signature cut": ({**ZHEJIANG_LIST, "signature": ZHEJIANG_LIST["signature"][:-4]}, root),
    }
    results = {
        name: checkpoint.page.evaluate(VERIFY_LIST_JS, [document, jwk])
        for name, (document, jwk) in cases.items()
    }
    assert results["genuine"] == {
        "ok": True,
        "issuer": "CN-33",
        "kids": [ZHEJIANG_ROOT.kid, ZHEJIANG.kid, RETIRED.kid, REVOKED.kid],
    }
    for name, (document, jwk) in cases.items():
        if name == "genuine":
            continue
        with pytest.raises(TrustListError) as server:
            verify_trust_list(document, jwk)
        assert results[name] == {
            "ok": False,
            "name": "TrustListError",
            "message": str(server.value),
        }
    assert results["revocation removed"]["message"] == (
        "the trust list: the signature does not verify under the given key"
    )
    # A code of the revoked key stays refused: the tampered list is never believed.
    assert checkpoint.page.evaluate(
        """async ([documents, roots]) => {
          try { await hz1.ListTrust.fromDocuments(documents, roots); return "believed"; }
          catch (error) { return error.message; }
        }""",
        [[unrevoked], ROOTS],
    ).startswith("list 1: the trust list: the signature does not verify")


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def test_the_scanner_reads_a_printed_code_from_an_image__A6(checkpoint: Checkpoint) -> None:
    token = code(ZHEJIANG)
    assert checkpoint.page.evaluate(DECODE_IMAGE_JS, data_url(qr_png(token))) == token
    # A frame without a code is no code, not an error.
    assert (
        checkpoint.page.evaluate(
            "async () => scanner.decodeFrame(Object.assign(document.createElement('canvas'), "
            "{width: 200, height: 200}))"
        )
        is None
    )
    # The reader and its .wasm came from our own server, not from the CDN it defaults to.
    assert f"{checkpoint.base_url}/static/vendor/zxing/zxing_reader.wasm" in checkpoint.requests
    assert checkpoint.foreign_requests == []


def test_the_scanner_reports_each_code_once__A6(checkpoint: Checkpoint) -> None:
    first, second = code(ZHEJIANG), code(ZHEJIANG, Colour.YELLOW)
    seen = checkpoint.page.evaluate(
        """async ([first, second]) => {
          const image = new Image();
          image.src = first;
          await image.decode();
          const seen = [];
          const scanning = scanner.startScanner(image, (text) => seen.push(text), {intervalMs: 50});
          const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
          await pause(800);
          image.src = second;
          await image.decode();
          await pause(800);
          scanning.stop();
          return seen;
        }""",
        [data_url(qr_png(first)), data_url(qr_png(second))],
    )
    assert seen == [first, second]


def test_the_scanner_reads_a_code_from_the_camera__A6(
    playwright: Playwright, base_url: str, tmp_path: Path
) -> None:
    token = code(ZHEJIANG, Colour.YELLOW)
    video = write_fake_camera(tmp_path / "code.y4m", qr_png(token))
    with fake_camera_browser(playwright, video) as browser:
        result = _scan_and_verify(browser, base_url)
    assert result["text"] == token
    assert (result["ok"], result["colour"], result["maskedName"]) == (True, "yellow", "王*明")


def _scan_and_verify(browser: Browser, base_url: str) -> dict[str, Any]:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        checkpoint = Checkpoint(context.new_page(), base_url).open()
        result: dict[str, Any] = checkpoint.page.evaluate(
            """async ([documents, roots, now]) => {
              const video = document.createElement("video");
              video.width = 320;
              document.body.append(video);
              await scanner.startCamera(video);
              const text = await new Promise((resolve, reject) => {
                const timeout = setTimeout(() => reject(new Error("no code within 15 s")), 15000);
                const scanning = scanner.startScanner(video, (found) => {
                  scanning.stop();
                  clearTimeout(timeout);
                  resolve(found);
                }, {onError: reject});
              });
              const trust = await hz1.ListTrust.fromDocuments(documents, roots);
              const verdict = await hz1.verifyToken(text, trust, new Date(now));
              document.getElementById("result").textContent =
                `${verdict.maskedName}：${verdict.colour === "yellow" ? "黄码" : verdict.colour}`;
              return {text, ok: verdict.ok, colour: verdict.colour, maskedName: verdict.maskedName};
            }""",
            [LISTS, ROOTS, ISSUED.isoformat()],
        )
        save_screenshot(checkpoint.page, "browser_token_camera_scan")
        assert checkpoint.foreign_requests == []
        return result
    finally:
        context.close()

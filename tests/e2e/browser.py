"""A real browser for the e2e tests: Debian's chromium driven by Playwright, and its fake camera.

Playwright never downloads a browser here: the Debian package is launched by path (`make browser`
installs it). Without it the browser tests are skipped, except in CI or with
HEALTHCODE_TEST_BROWSER=required, where a missing browser must fail rather than pass unseen.

A plain module rather than a conftest, so that only the tests that drive a browser start one: a
test module (or a conftest) imports the fixtures by their function names (`playwright_fixture`,
`browser_fixture`, `page_fixture`) and pytest knows them as `playwright`, `browser`, `page`.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import struct
import threading
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import pytest
import zxingcpp
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

REPO: Final = Path(__file__).resolve().parents[2]
STATIC: Final = REPO / "src" / "healthcode" / "web" / "static"
SCREENSHOTS: Final = REPO / "artifacts" / "screenshots"
CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMIUM_ARGS: Final = (
    "--headless",
    "--no-sandbox",  # the tests run as root, where chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Nothing but the page under test may reach the network (the machine has no other network).
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# Chromium grants the camera without asking and shows a synthetic one; with
# --use-file-for-fake-video-capture it shows a Y4M file instead.
FAKE_CAMERA_ARGS: Final = ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream")


def browser_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("HEALTHCODE_TEST_BROWSER") == "required"


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: `make browser` installs Debian's chromium"
    if browser_required():
        pytest.fail(f"{reason} (required: CI or HEALTHCODE_TEST_BROWSER=required)")
    pytest.skip(reason)


def launch(playwright: Playwright, *extra_args: str) -> Browser:
    return playwright.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args], headless=True
    )


@pytest.fixture(scope="session", name="playwright")
def playwright_fixture() -> Iterator[Playwright]:
    require_chromium()
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session", name="browser")
def browser_fixture(playwright: Playwright) -> Iterator[Browser]:
    browser = launch(playwright)
    yield browser
    browser.close()


@pytest.fixture(name="page")
def page_fixture(browser: Browser) -> Iterator[Page]:
    """A fresh context per test (no cookies or storage carried over), in a Chinese locale."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    yield context.new_page()
    context.close()


@contextmanager
def fake_camera_browser(playwright: Playwright, video: Path) -> Iterator[Browser]:
    """A browser whose only camera shows `video` (a Y4M file, looped), granted without a prompt."""
    browser = launch(playwright, *FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={video}")
    try:
        yield browser
    finally:
        browser.close()


def save_screenshot(page: Page, name: str) -> Path:
    """The page as a person sees it, kept in artifacts/screenshots/ for a human to look at."""
    if not re.fullmatch(r"[a-z0-9_-]+", name):
        raise ValueError(f"screenshot name {name!r}: lower-case letters, digits, _ and - only")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Files under each mounted prefix, from its folder; nothing else."""

    def __init__(self, *args: object, mounts: Mapping[str, Path], **kwargs: object) -> None:
        self.mounts = mounts
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        for prefix, folder in self.mounts.items():
            if clean.startswith(prefix):
                target = (folder / clean[len(prefix) :]).resolve()
                # A request must never climb out of the mounted folder.
                if target.is_relative_to(folder.resolve()):
                    return str(target)
        return str(REPO / "nonexistent")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a passing test prints nothing."""


@contextmanager
def serve(mounts: Mapping[str, Path]) -> Iterator[str]:
    """Folders served over HTTP on 127.0.0.1 at a free port, e.g. {"/static/": STATIC}.

    Yields the base URL. 127.0.0.1 counts as a secure context, so WebCrypto and the camera are
    available to the page as they are on the real HTTPS site.
    """
    handler = functools.partial(_Handler, mounts=dict(mounts))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def png_grey_pixels(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and one grey byte per pixel of a PNG: greyscale (what segno writes) or 8-bit
    RGB / RGBA (what a browser's screenshot is), non-interlaced."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    chunks: dict[bytes, bytes] = {}
    offset = 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        chunks[kind] = chunks.get(kind, b"") + png[offset + 8 : offset + 8 + length]
        offset += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    if colour_type in _COLOUR_CHANNELS and depth == 8 and interlace == 0:
        return width, height, _colour_as_grey(chunks[b"IDAT"], width, height, colour_type)
    if colour_type != 0 or interlace != 0 or depth not in (1, 2, 4, 8):
        raise ValueError("only non-interlaced greyscale or 8-bit RGB(A) PNGs are read")
    stride = (width * depth + 7) // 8
    rows = _unfiltered(zlib.decompress(chunks[b"IDAT"]), stride, height, max(1, depth // 8))
    top = (1 << depth) - 1
    pixels = bytearray()
    for row in rows:
        bits = int.from_bytes(row, "big")
        total = stride * 8
        for column in range(width):
            value = (bits >> (total - (column + 1) * depth)) & top
            pixels.append(value * 255 // top)
    return width, height, bytes(pixels)


_COLOUR_CHANNELS = {2: 3, 6: 4}  # RGB, RGBA (8 bits a channel), as published QR examples come


def _colour_as_grey(data: bytes, width: int, height: int, colour_type: int) -> bytes:
    """RGB(A) pixels as grey (ITU-R BT.601 luma), any transparency shown over white."""
    channels = _COLOUR_CHANNELS[colour_type]
    rows = _unfiltered(zlib.decompress(data), width * channels, height, channels)
    grey = bytearray()
    for row in rows:
        for at in range(0, len(row), channels):
            red, green, blue = row[at], row[at + 1], row[at + 2]
            alpha = row[at + 3] if channels == 4 else 255
            luma = (299 * red + 587 * green + 114 * blue) // 1000
            grey.append((luma * alpha + 255 * (255 - alpha)) // 255)
    return bytes(grey)


def read_qr(png: bytes) -> list[str]:
    """The texts of the QR codes zxing-cpp reads in a PNG (a screenshot, a rasterised page)."""
    width, height, pixels = png_grey_pixels(png)
    image = memoryview(pixels).cast("B", (height, width))
    only_qr = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    return [str(found.text) for found in zxingcpp.read_barcodes(image, formats=only_qr)]


def _unfiltered(data: bytes, stride: int, height: int, pixel_bytes: int) -> list[bytes]:
    """The scanlines with PNG's per-row filters (none, sub, up, average, Paeth) undone."""
    rows: list[bytes] = []
    previous = bytes(stride)
    for index in range(height):
        start = index * (stride + 1)
        kind, line = data[start], bytearray(data[start + 1 : start + 1 + stride])
        for at in range(stride):
            left = line[at - pixel_bytes] if at >= pixel_bytes else 0
            up = previous[at]
            corner = previous[at - pixel_bytes] if at >= pixel_bytes else 0
            predictor = (0, left, up, (left + up) // 2, _paeth(left, up, corner))[kind]
            line[at] = (line[at] + predictor) & 0xFF
        rows.append(bytes(line))
        previous = bytes(line)
    return rows


def _paeth(left: int, up: int, corner: int) -> int:
    estimate = left + up - corner
    distances = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
    if distances[0] <= distances[1] and distances[0] <= distances[2]:
        return left
    return up if distances[1] <= distances[2] else corner


def write_fake_camera(
    path: Path, png: bytes, *, width: int = 640, height: int = 480, frames: int = 5
) -> Path:
    """A Y4M video (4:2:0, 10 frames/s) of `png` centred on white: what a fake camera shows.

    Chromium loops the file; a few identical frames are enough. Grey only, so both chroma
    planes are neutral (128).
    """
    image_width, image_height, pixels = png_grey_pixels(png)
    if image_width > width or image_height > height:
        raise ValueError(f"a {image_width}x{image_height} image does not fit {width}x{height}")
    luma = bytearray(b"\xff" * (width * height))
    left, top = (width - image_width) // 2, (height - image_height) // 2
    for row in range(image_height):
        start = (top + row) * width + left
        luma[start : start + image_width] = pixels[row * image_width : (row + 1) * image_width]
    chroma = b"\x80" * ((width // 2) * (height // 2) * 2)
    frame = b"FRAME\n" + bytes(luma) + chroma
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode("ascii")
    path.write_bytes(header + frame * frames)
    return path

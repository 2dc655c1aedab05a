"""QR images of codes: the one place every caller (CLI, web pages, paper codes) gets them from.

Error correction Q restores up to a quarter of the symbol: codes are scanned off cracked phone
screens and creased paper. The text is encoded in alphanumeric mode, which the whole token fits
(Base45's alphabet is the QR alphanumeric set, hence the upper-case prefix), at 5.5 bits a
character instead of 8.
"""

import io
from typing import Final

import segno

ERROR_LEVEL: Final = "Q"
# Choosing the mask is the slow part of making a QR code: segno scores all eight masks with the
# ISO 18004 penalty rules, ~17 ms for a real token against ~4 ms with the mask fixed. Any mask is
# valid and every reader handles all eight; the penalty only steers away from patterns that are a
# little harder to scan. Mask 4 had the lowest mean penalty over 150 real-size tokens (within 4% of
# the per-code best on average), so it is fixed here.
MASK: Final = 4


def qr_svg(text: str, *, scale: int = 4) -> str:
    """A standalone SVG document (no XML declaration, so it can also be inlined in HTML)."""
    buffer = io.BytesIO()
    _symbol(text).save(buffer, kind="svg", scale=scale, xmldecl=False, nl=False)
    return buffer.getvalue().decode("utf-8")


def qr_png(text: str, *, scale: int = 4) -> bytes:
    buffer = io.BytesIO()
    _symbol(text).save(buffer, kind="png", scale=scale)
    return buffer.getvalue()


def qr_version(text: str) -> int:
    """The QR version (1-40) that holds `text` at error correction Q."""
    version = _symbol(text).version
    if isinstance(version, str):  # segno names Micro QR versions ("M4"); make_qr never makes one
        raise TypeError(f"unexpected Micro QR version {version}")
    return version


def _symbol(text: str) -> segno.QRCode:
    """Raises ValueError for text outside the QR alphanumeric set (a token never has any)."""
    return segno.make_qr(text, error=ERROR_LEVEL, mode="alphanumeric", mask=MASK, boost_error=False)

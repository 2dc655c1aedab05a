"""Base64url without padding (RFC 7515 §2), read strictly: one text for one byte string."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Final

_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of `text`; ValueError for padding, other alphabets or a non-canonical last digit.

    Signed documents are compared byte for byte, so two texts must never decode to the same bytes.
    """
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url without padding")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as error:
        raise ValueError("not base64url without padding") from error
    if b64url_encode(data) != text:
        raise ValueError("not the canonical base64url of its bytes")
    return data

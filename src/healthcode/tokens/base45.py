"""Base45 (RFC 9285): bytes as QR alphanumeric characters, 2 bytes in 3 characters.

The alphabet is exactly the QR alphanumeric set, so the whole token fits the QR mode that packs
5.5 bits a character instead of 8. Decoding is on every checkpoint scan, so it works on whole
arrays (translate, zip, struct) rather than character by character.
"""

import struct
from operator import add
from typing import Final

from healthcode.tokens.errors import Rejection, TokenError

ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_BASE: Final = len(ALPHABET)
_BASE_SQUARED: Final = _BASE * _BASE
_NOT_BASE45: Final = 0xFF
# Byte value of a character -> its Base45 digit, or _NOT_BASE45.
_DIGITS: Final = bytes(
    ALPHABET.index(chr(byte)) if chr(byte) in ALPHABET else _NOT_BASE45 for byte in range(256)
)
# The two low digits of every number below 45², least significant first as RFC 9285 orders them.
_LOW_DIGITS: Final = [
    ALPHABET[number % _BASE] + ALPHABET[number // _BASE] for number in range(_BASE_SQUARED)
]


def b45encode(data: bytes) -> str:
    pairs = struct.unpack(f">{len(data) // 2}H", data[: len(data) - len(data) % 2])
    chars = [_LOW_DIGITS[pair % _BASE_SQUARED] + ALPHABET[pair // _BASE_SQUARED] for pair in pairs]
    if len(data) % 2:
        chars.append(_LOW_DIGITS[data[-1]])
    return "".join(chars)


def b45decode(text: str) -> bytes:
    """The bytes of `text`; `TokenError` (bad_encoding) for anything RFC 9285 calls an error."""
    if len(text) % 3 == 1:
        raise _invalid(f"a length of {len(text)} leaves one character")
    if not text.isascii():
        raise _invalid("non-ASCII characters")
    digits = text.encode("ascii").translate(_DIGITS)
    if _NOT_BASE45 in digits:
        raise _invalid(f"{text[digits.index(_NOT_BASE45)]!r} is not a Base45 character")
    # Each triple's digits as three strided slices, combined by C-level maps: no Python-level loop
    # over the ~90 triples of a token (a quarter of reading one, before this).
    whole = len(digits) - len(digits) % 3
    low, middle, high = digits[0:whole:3], digits[1:whole:3], digits[2:whole:3]
    pairs = list(
        map(add, map(add, low, map(_BASE.__mul__, middle)), map(_BASE_SQUARED.__mul__, high))
    )
    if pairs and max(pairs) > 0xFFFF:
        raise _invalid(f"{max(pairs)} does not fit two bytes")
    decoded = struct.pack(f">{len(pairs)}H", *pairs)
    if len(digits) % 3 == 2:
        last = digits[-2] + digits[-1] * _BASE
        if last > 0xFF:
            raise _invalid(f"{last} does not fit the one byte a final pair holds")
        decoded += bytes([last])
    return decoded


def _invalid(detail: str) -> TokenError:
    return TokenError(Rejection.BAD_ENCODING, detail)

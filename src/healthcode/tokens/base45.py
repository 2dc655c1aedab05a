"""Base45 (RFC 9285): bytes as QR alphanumeric characters, 2 bytes in 3 characters.

The alphabet is exactly the QR alphanumeric set, so the whole token fits the QR mode that packs
5.5 bits a character instead of 8. Decoding is on every checkpoint scan, so it works on whole
arrays (translate, one big integer) rather than character by character.
"""

import struct
from functools import lru_cache
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
    triples = len(digits) // 3
    whole = 3 * triples
    decoded = _triples(digits[:whole], triples)
    if len(digits) % 3 == 2:
        last = digits[-2] + digits[-1] * _BASE
        if last > 0xFF:
            raise _invalid(f"{last} does not fit the one byte a final pair holds")
        decoded.append(last)
    return bytes(decoded)


def _triples(digits: bytes, count: int) -> bytearray:
    """Two bytes from each triple of digits, all triples at once in one big integer.

    Read as a big-endian integer, the digits are `count` lanes of 24 bits, one per triple, its
    low digit in the lane's high byte. Masking out each position and weighting it sums every
    lane's number (at most 44 + 44·45 + 44·45² = 91,124 < 2²⁴, so no lane carries into the next)
    in a handful of C-level big-integer operations instead of a Python loop over ~90 triples.
    Each lane's top byte is then 0 exactly when its number fits two bytes.
    """
    lanes = int.from_bytes(digits, "big")
    mask = _lane_mask(count)
    numbers = (
        ((lanes >> 16) & mask) + _BASE * ((lanes >> 8) & mask) + _BASE_SQUARED * (lanes & mask)
    )
    packed = bytearray(numbers.to_bytes(len(digits), "big"))
    overflow = packed[0::3]
    if overflow.count(0) != count:
        largest = max(packed[index : index + 3] for index in range(0, len(packed), 3))
        raise _invalid(f"{int.from_bytes(largest, 'big')} does not fit two bytes")
    del packed[0::3]
    return packed


@lru_cache(maxsize=64)
def _lane_mask(count: int) -> int:
    """0xFF in the low byte of each of `count` 24-bit lanes."""
    return int.from_bytes(b"\x00\x00\xff" * count, "big")


def _invalid(detail: str) -> TokenError:
    return TokenError(Rejection.BAD_ENCODING, detail)

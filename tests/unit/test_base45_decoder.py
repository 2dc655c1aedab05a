"""The fast Base45 decoder (one big integer for all triples) against RFC 9285 read literally (S1).

The reference below decodes character by character, as RFC 9285 §4.2 describes, and refuses with
the messages the decoder had before it worked on whole arrays: the fast one must return the same
bytes for every text and refuse the same texts, naming the same layer and the same detail.
"""

import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from healthcode.tokens import Rejection, TokenError
from healthcode.tokens.base45 import ALPHABET, b45decode, b45encode


def reference_decode(text: str) -> bytes:
    """RFC 9285 §4.2, one triple at a time."""
    if len(text) % 3 == 1:
        raise TokenError(Rejection.BAD_ENCODING, f"a length of {len(text)} leaves one character")
    if not text.isascii():
        raise TokenError(Rejection.BAD_ENCODING, "non-ASCII characters")
    for character in text:
        if character not in ALPHABET:
            raise TokenError(Rejection.BAD_ENCODING, f"{character!r} is not a Base45 character")
    digits = [ALPHABET.index(character) for character in text]
    whole = len(digits) - len(digits) % 3
    numbers = [
        digits[start] + digits[start + 1] * 45 + digits[start + 2] * 45 * 45
        for start in range(0, whole, 3)
    ]
    if numbers and max(numbers) > 0xFFFF:
        raise TokenError(Rejection.BAD_ENCODING, f"{max(numbers)} does not fit two bytes")
    decoded = b"".join(number.to_bytes(2, "big") for number in numbers)
    if len(digits) % 3 == 2:
        last = digits[-2] + digits[-1] * 45
        if last > 0xFF:
            raise TokenError(
                Rejection.BAD_ENCODING, f"{last} does not fit the one byte a final pair holds"
            )
        decoded += bytes([last])
    return decoded


def outcome(text: str) -> bytes | tuple[Rejection, str]:
    try:
        return b45decode(text)
    except TokenError as error:
        return error.rejection, error.detail


def reference_outcome(text: str) -> bytes | tuple[Rejection, str]:
    try:
        return reference_decode(text)
    except TokenError as error:
        return error.rejection, error.detail


# Mostly Base45 characters, so that most texts get past the alphabet check to the arithmetic;
# some lower case, punctuation, control and non-ASCII characters to meet the other refusals.
NEAR_BASE45 = st.text(
    st.sampled_from(ALPHABET) | st.sampled_from(string.printable + "张é\x00\x7f"), max_size=400
)
# Triples near and over the two-byte limit (65535 is "FGW", 65536 "GGW"; 91124 is ":::").
HIGH_TRIPLES = st.lists(st.sampled_from(["FGW", "GGW", ":::", "00:", "%69", "ZZZ"]), max_size=12)


@given(text=NEAR_BASE45)
@example(text="GGW")
@example(text="::")
@example(text="BB8:::")
@example(text=":::GGW")
@example(text="")
def test_fast_decoder_answers_as_rfc9285_read_literally__S1(text: str) -> None:
    assert outcome(text) == reference_outcome(text)


@given(data=st.binary(max_size=600), triples=HIGH_TRIPLES, tail=st.sampled_from(["", "0", "::"]))
def test_fast_decoder_locates_an_oversized_triple_anywhere__S1(
    data: bytes, triples: list[str], tail: str
) -> None:
    text = b45encode(data)
    text = text[: len(text) - len(text) % 3] + "".join(triples) + tail
    assert outcome(text) == reference_outcome(text)


@given(data=st.binary(max_size=600))
def test_fast_decoder_reads_every_encoding__S1(data: bytes) -> None:
    assert b45decode(b45encode(data)) == data == reference_decode(b45encode(data))


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("FGW", None),  # 65535: the largest triple, decodes
        ("GGWFGW", "65536 does not fit two bytes"),
        ("FGW:::GGW", "91124 does not fit two bytes"),  # the largest is named, as before
        ("FGW::", "2024 does not fit the one byte a final pair holds"),
    ],
)
def test_fast_decoder_names_the_largest_oversized_number__S1(text: str, detail: str | None) -> None:
    result = outcome(text)
    assert result == reference_outcome(text)
    if detail is None:
        assert result == b"\xff\xff"
    else:
        assert result == (Rejection.BAD_ENCODING, detail)

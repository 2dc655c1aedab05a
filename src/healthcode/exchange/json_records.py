"""JSON Lines and JSON arrays, streamed: memory holds one record at a time, whatever the size."""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterable, Iterator
from typing import NamedTuple

from healthcode.exchange.errors import InputUnusable, RecordError
from healthcode.exchange.records import RawRecord, record_or_error

_DECODER = json.JSONDecoder()
_SIGNIFICANT = re.compile(r"[^ \t\r\n]")  # anything but JSON's whitespace, narrower than isspace()

MAX_ITEM_CHARS = 1024 * 1024
"""An array item still undecodable after this many characters is reported as broken.

Exchange records are well under a kilobyte; the limit keeps a broken array from being read into
memory whole while the decoder waits for an item to end.
"""

Decoded = RawRecord | RecordError


def json_lines_records(lines: Iterable[str], *, decode: bool = True) -> Iterator[Decoded | RawLine]:
    """One object per line; a line that is not JSON is an error for that line only.

    Without `decode`, the lines come as `RawLine`s for `decode_line` to decode elsewhere (an
    import decodes them in its worker processes, where the CPU time is).
    """
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        raw = RawLine(f"line {number}", line)
        yield decode_line(raw) if decode else raw


class RawLine(NamedTuple):
    """A non-blank line of JSON Lines, not yet decoded."""

    location: str  # "line 12"
    text: str


def decode_line(line: RawLine) -> Decoded:
    try:
        value = _DECODER.decode(line.text)
    except json.JSONDecodeError as error:
        return RecordError(line.location, None, None, f"not valid JSON: {error.msg}")
    except RecursionError:
        return RecordError(line.location, None, None, "not valid JSON: nested too deeply")
    return record_or_error(line.location, value)


def json_array_records(chunks: Iterator[str]) -> Iterator[Decoded]:
    """The items of one top-level array, decoded as their text arrives in `chunks`.

    A syntax error leaves no way to know where the next item starts, so it is reported for the
    item where it happened and reading stops there.
    """
    scanner = _Scanner(chunks)
    if not scanner.take("["):
        raise InputUnusable("the JSON input is not an array: it does not start with '['")
    complete = scanner.take("]") or (yield from _items(scanner))
    if complete and scanner.peek() is not None:
        yield RecordError("after the array", None, None, "unexpected text after the closing ']'")


def _items(scanner: _Scanner) -> Generator[Decoded, None, bool]:
    """Yield the items up to the closing bracket; False if a syntax error cut the array short."""
    number = 0
    while True:
        number += 1
        try:
            value = scanner.value()
        except (json.JSONDecodeError, RecursionError) as error:
            problem = error.msg if isinstance(error, json.JSONDecodeError) else "nested too deeply"
            yield _rest_unreadable(f"item {number}", f"JSON syntax error: {problem}")
            return False
        yield record_or_error(f"item {number}", value)
        if scanner.take("]"):
            return True
        if not scanner.take(","):
            ending = (
                "the array ends without ']'" if scanner.peek() is None else "',' or ']' missing"
            )
            yield _rest_unreadable(f"item {number + 1}", f"JSON syntax error: {ending}")
            return False


def _rest_unreadable(location: str, problem: str) -> RecordError:
    return RecordError(location, None, None, f"{problem}; the rest of the array cannot be read")


class _Scanner:
    """Walks JSON text that arrives in chunks, keeping only the unread part in memory."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self._chunks = chunks
        self._text = ""
        self._position = 0

    def peek(self) -> str | None:
        """The next character that is not whitespace, reading on as needed; None at the end."""
        while True:
            found = _SIGNIFICANT.search(self._text, self._position)
            if found is not None:
                self._position = found.start()
                return found.group()
            self._position = len(self._text)
            if not self._read_more():
                return None

    def take(self, character: str) -> bool:
        if self.peek() == character:
            self._position += 1
            return True
        return False

    def value(self) -> object:
        """Decode the next JSON value, reading more chunks while it may be cut off by a boundary."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self._text, self._position)
            except json.JSONDecodeError:
                # Incomplete text and wrong text fail alike, so read on (up to the limit) to tell.
                if len(self._text) - self._position > MAX_ITEM_CHARS or not self._read_more():
                    raise
                continue
            # A number that ends with the chunk may go on in the next one (`12` then `3,`).
            if end == len(self._text) and self._read_more():
                continue
            self._position = end
            return value

    def _read_more(self) -> bool:
        chunk = next(self._chunks, "")
        if not chunk:
            return False
        self._text = self._text[self._position :] + chunk
        self._position = 0
        return True

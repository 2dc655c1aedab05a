"""Which format an input is in, and its raw records in input order (SPEC §1).

JSON Lines, a JSON array or CSV, from a path or an open text stream. Everything streams: memory does
not grow with the size of the input.
"""

from __future__ import annotations

import codecs
import itertools
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Literal, TextIO, overload

from healthcode.exchange.csv_records import csv_records
from healthcode.exchange.errors import InputUnusable, RecordError
from healthcode.exchange.json_records import RawLine, json_array_records, json_lines_records
from healthcode.exchange.records import RawRecord

FORMAT_NAMES = {"jsonl": "jsonl", "ndjson": "jsonl", "json": "json", "csv": "csv"}
"""Names accepted for `format=`; `json` means one JSON array."""

_FORMAT_OF_SUFFIX = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv"}
_CHUNK_CHARS = 64 * 1024
_BLOCK_BYTES = 1024 * 1024
_BYTE_ORDER_MARK = "\ufeff"


@overload
def read_records(
    source: Path | TextIO, *, format: str | None = None, decode_lines: Literal[True] = True
) -> Iterator[RawRecord | RecordError]: ...


@overload
def read_records(
    source: Path | TextIO, *, format: str | None = None, decode_lines: bool
) -> Iterator[RawRecord | RecordError | RawLine]: ...


def read_records(
    source: Path | TextIO, *, format: str | None = None, decode_lines: bool = True
) -> Iterator[RawRecord | RecordError | RawLine]:
    """Stream the raw records of `source`: decoded objects, or errors for what could not be decoded.

    `format` is `jsonl`, `json` or `csv`; without it a path's suffix decides, else the first
    non-blank character (`[` an array, `{` JSON Lines, anything else CSV). Without
    `decode_lines`, JSON Lines come undecoded (`RawLine`, for `decode_line`). Raises InputUnusable
    from this call when the input cannot be read at all; for a regular file, that includes any
    byte anywhere in it that is not UTF-8. A stream or a pipe can be read only once, so a
    decoding error part-way through one is raised as InputUnusable when it is reached.
    """
    records = _records(source, _declared_format(source, format), decode_lines)
    # Run up to the first record now, so that an unusable input fails here and not wherever the
    # iterator is first used. A dropped generator still closes its file (via GeneratorExit).
    first = next(records, None)
    if first is None:
        return iter(())
    return itertools.chain((first,), records)


def _declared_format(source: Path | TextIO, format: str | None) -> str | None:
    if format is not None:
        if format not in FORMAT_NAMES:
            names = ", ".join(FORMAT_NAMES)
            raise InputUnusable(f"unknown input format {format!r}; expected one of: {names}")
        return FORMAT_NAMES[format]
    if isinstance(source, Path):
        return _FORMAT_OF_SUFFIX.get(source.suffix.lower())
    return None


def _records(
    source: Path | TextIO, declared: str | None, decode_lines: bool
) -> Iterator[RawRecord | RecordError | RawLine]:
    if isinstance(source, Path):
        # A pipe (`--events <(zcat …)`) can be read only once, so only regular files are checked
        # ahead; a pipe, like a stream, fails when its first bad byte is reached.
        if source.is_file():
            _check_utf8(source)
        with _open_text(source) as stream:
            yield from _stream_records(stream, declared, decode_lines)
    else:
        yield from _stream_records(source, declared, decode_lines)


def _stream_records(
    stream: TextIO, declared: str | None, decode_lines: bool
) -> Iterator[RawRecord | RecordError | RawLine]:
    try:
        head = _read_head(stream)
        chosen = declared or _sniff(head)
        if chosen == "json":
            yield from json_array_records(_chunks(head, stream))
        elif chosen == "csv":
            yield from csv_records(_lines(head, stream))
        else:
            yield from json_lines_records(_lines(head, stream), decode=decode_lines)
    except UnicodeDecodeError:
        raise InputUnusable("the input is not UTF-8 text") from None
    except OSError as error:
        raise InputUnusable(f"the input cannot be read: {error.strerror or error}") from None


def _sniff(head: str) -> str:
    first = head.lstrip()[:1]
    if first == "[":
        return "json"
    if first in {"{", ""}:
        return "jsonl"  # empty input reads as JSON Lines: an empty batch, not an error
    return "csv"


def _check_utf8(path: Path) -> None:
    # One pass over the whole file before any record is returned: a file found not to be UTF-8
    # half-way through must not have been half imported. It costs a second read, no memory.
    decoder = codecs.getincrementaldecoder("utf-8")()
    done = 0
    try:
        with path.open("rb") as file:
            for block in iter(partial(file.read, _BLOCK_BYTES), b""):
                decoder.decode(block)
                done += len(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        where = done + error.start
        raise InputUnusable(
            f"{path} is not UTF-8 text (invalid byte near offset {where})"
        ) from None
    except OSError as error:
        raise InputUnusable(f"cannot read {path}: {error.strerror or error}") from None


def _open_text(path: Path) -> TextIO:
    try:
        # utf-8-sig drops the byte order mark that spreadsheet programs put before CSV exports.
        return path.open(encoding="utf-8-sig")
    except OSError as error:
        raise InputUnusable(f"cannot read {path}: {error.strerror or error}") from None


def _read_head(stream: TextIO) -> str:
    """The start of the input, up to and including its first non-blank character."""
    head = stream.read(_CHUNK_CHARS).removeprefix(_BYTE_ORDER_MARK)
    while head.isspace():
        more = stream.read(_CHUNK_CHARS)
        if not more:
            break
        head += more
    return head


def _chunks(head: str, stream: TextIO) -> Iterator[str]:
    if head:
        yield head
    yield from iter(partial(stream.read, _CHUNK_CHARS), "")


def _lines(head: str, stream: TextIO) -> Iterator[str]:
    """The lines of head + rest of stream, without ever holding more than one line of the rest."""
    *complete, unfinished = head.split("\n")
    for line in complete:
        yield line + "\n"
    rest_of_line = unfinished + stream.readline()
    if rest_of_line:
        yield rest_of_line
    yield from iter(stream.readline, "")

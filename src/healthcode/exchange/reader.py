"""The public readers: a file or stream in, validated records or located errors out, in input order.

Per-record problems never raise: they are yielded as RecordError where the record was, and the
good records of the same batch go on. Only an input that cannot be read at all raises InputUnusable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TextIO, TypeVar

from healthcode.domain.areas import RiskArea, SevereDesignation
from healthcode.domain.facts import Fact
from healthcode.domain.register import RegisterEntry
from healthcode.exchange.areas import parse_risk_area, parse_severe_designation
from healthcode.exchange.errors import InvalidRecordError, RecordError
from healthcode.exchange.events import parse_fact
from healthcode.exchange.formats import read_records
from healthcode.exchange.records import RawRecord
from healthcode.exchange.register import parse_register_entry

T = TypeVar("T")

RecordParser = Callable[[Mapping[str, object], str], T]
"""Turns one raw record found at a location into a value, or raises InvalidRecordError."""


def read_parsed(
    source: Path | TextIO, parse: RecordParser[T], *, format: str | None = None
) -> Iterator[T | RecordError]:
    """Read any exchange feed lazily with `parse`: memory holds one record, never the batch."""
    return _parse_each(read_records(source, format=format), parse)


def read_facts(source: Path | TextIO, *, format: str | None = None) -> Iterator[Fact | RecordError]:
    """Department events (SPEC §1, S5)."""
    return read_parsed(source, parse_fact, format=format)


def read_risk_areas(
    source: Path | TextIO, *, format: str | None = None
) -> Iterator[RiskArea | RecordError]:
    """The risk-area list (A6)."""
    return read_parsed(source, parse_risk_area, format=format)


def read_severe_designations(
    source: Path | TextIO, *, format: str | None = None
) -> Iterator[SevereDesignation | RecordError]:
    """Severe areas and places (A7)."""
    return read_parsed(source, parse_severe_designation, format=format)


def read_register(
    source: Path | TextIO, *, format: str | None = None
) -> Iterator[RegisterEntry | RecordError]:
    """The population register (A1, S3): who a person is, their household, the phone on record."""
    return read_parsed(source, parse_register_entry, format=format)


def _parse_each(
    records: Iterator[RawRecord | RecordError], parse: RecordParser[T]
) -> Iterator[T | RecordError]:
    for record in records:
        if isinstance(record, RecordError):
            yield record
            continue
        try:
            yield parse(record.fields, record.location)
        except InvalidRecordError as invalid:
            yield invalid.error

"""A record as it comes out of a file, before its fields are validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from healthcode.exchange.errors import RecordError


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One decoded JSON object (or CSV row shaped like one) and where it was found."""

    location: str  # "line 12" or "item 3", 1-based
    fields: Mapping[str, object]


def record_or_error(location: str, value: object) -> RawRecord | RecordError:
    if isinstance(value, dict):
        return RawRecord(location, value)
    return RecordError(location, None, None, "record must be a JSON object")

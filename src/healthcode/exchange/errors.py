"""What goes wrong while reading an exchange file: a whole input, or one record of it (SPEC §1).

Reasons are English and never repeat the values they are about: records carry ID numbers, names and
phones, and errors end up in logs, reports and HTTP answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


class InputUnusable(Exception):  # noqa: N818  (the name says what it means to the caller)
    """The input cannot be read at all: nothing in it can be trusted, so no record is returned.

    Its message is one line meant for a person: `cannot read x.jsonl: No such file or directory`.
    """


@dataclass(frozen=True, slots=True)
class RecordError:
    """One rejected record: where it is, which record, which field, and why."""

    location: str  # "line 12" (JSON Lines, CSV) or "item 3" (JSON array), 1-based
    event_id: str | None  # the record's own event_id, when it has a usable one
    field: (
        str | None
    )  # dotted path, e.g. "person.id_number"; None when the record as a whole is bad
    reason: str

    def __str__(self) -> str:
        where = self.location
        if self.event_id is not None:
            where += f" (event_id {self.event_id})"
        if self.field is not None:
            where += f", {self.field}"
        return f"{where}: {self.reason}"

    def as_json(self) -> dict[str, str | None]:
        """The shape every import report uses (CLI and API alike)."""
        return {
            "location": self.location,
            "event_id": self.event_id,
            "field": self.field,
            "reason": self.reason,
        }


class FieldError(ValueError):
    """A field of a record is missing or wrong; the caller adds where the record is."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


class InvalidRecordError(ValueError):
    """Raised by the record parsers; carries the located error the readers yield instead."""

    def __init__(self, error: RecordError) -> None:
        super().__init__(str(error))
        self.error = error


def event_id_of(record: Mapping[str, object]) -> str | None:
    """The record's event_id when it is a usable string, to help locate even a broken record."""
    event_id = record.get("event_id")
    if isinstance(event_id, str) and event_id.strip():
        return event_id.strip()
    return None

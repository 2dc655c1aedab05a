"""Typed, located readers for the fields of one record.

A record is a JSON object (or a CSV row already shaped like one). `null`, an empty CSV cell and a
blank string all mean "absent": departments' systems produce all three for the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import NoReturn, TypeVar

from healthcode.exchange.errors import FieldError, InvalidRecordError, RecordError, event_id_of

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

Check = Callable[[str], str | None]
"""A domain validator: None when the value is fine, else a reason that does not repeat the value."""

_TIMESTAMP_EXAMPLE = "2021-03-20T08:00:00+08:00"


class Fields:
    """The fields of one JSON object, read with their dotted path so every problem is located."""

    def __init__(self, values: Mapping[str, object], path: str = "") -> None:
        self._values = values
        self._path = path

    def fail(self, name: str, reason: str) -> NoReturn:
        raise FieldError(self._path + name, reason)

    def check(self, name: str, problem: str | None) -> None:
        if problem is not None:
            self.fail(name, problem)

    def optional_text(self, name: str, check: Check | None = None) -> str | None:
        value = self._values.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(name, "must be a string")
        text = value.strip()
        if not text:
            return None
        if check is not None:
            self.check(name, check(text))
        return text

    def text(self, name: str, check: Check | None = None) -> str:
        return self._required(name, self.optional_text(name, check))

    def optional_choice(self, name: str, options: type[E]) -> E | None:
        text = self.optional_text(name)
        if text is None:
            return None
        return self._member(name, text, options)

    def choice(self, name: str, options: type[E]) -> E:
        return self._required(name, self.optional_choice(name, options))

    def choices(self, name: str, options: type[E]) -> tuple[E, ...]:
        """A list of enum values; absent means an empty list."""
        value = self._values.get(name)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.fail(name, "must be a list of strings")
        return tuple(self._member(name, item.strip(), options) for item in value)

    def integer(self, name: str, *, minimum: int) -> int:
        value = self._values.get(name)
        if value is None:
            self.fail(name, "is required")
        # bool is an int in Python but `true` is no count of anything.
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(name, "must be a whole number")
        if value < minimum:
            self.fail(name, f"must be at least {minimum}")
        return value

    def optional_instant(self, name: str) -> datetime | None:
        text = self.optional_text(name)
        if text is None:
            return None
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            self.fail(name, f"must be an ISO 8601 timestamp such as {_TIMESTAMP_EXAMPLE}")
        # A time without an offset could be Beijing time or UTC, eight hours apart: never guess.
        if instant.utcoffset() is None:
            self.fail(name, f"needs a UTC offset, as in {_TIMESTAMP_EXAMPLE}")
        return instant

    def instant(self, name: str) -> datetime:
        return self._required(name, self.optional_instant(name))

    def section(self, name: str) -> Fields:
        """A nested object (`person`), whose fields are then located as `person.id_number`."""
        value = self._values.get(name)
        if value is None:
            self.fail(name, "is required")
        if not isinstance(value, Mapping):
            self.fail(name, "must be an object")
        return Fields(value, f"{self._path}{name}.")

    def _required(self, name: str, value: T | None) -> T:
        if value is None:
            self.fail(name, "is required")
        return value

    def _member(self, name: str, text: str, options: type[E]) -> E:
        try:
            return options(text)
        except ValueError:
            allowed = ", ".join(option.value for option in options)
            self.fail(name, f"must be one of: {allowed}")


def parse_located(build: Callable[[Fields], T], record: Mapping[str, object], location: str) -> T:
    """Run `build` over a record; its first field problem becomes a located InvalidRecordError."""
    try:
        return build(Fields(record))
    except FieldError as problem:
        error = RecordError(location, event_id_of(record), problem.field, problem.reason)
        raise InvalidRecordError(error) from None

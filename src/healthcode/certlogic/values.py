"""CertLogic value semantics: integers, truthy/falsy/neither, strict equality."""

import json
from datetime import datetime
from typing import Final

from healthcode.certlogic.datetimes import format_datetime

_DESCRIPTION_LIMIT: Final = 80


def is_integer(value: object) -> bool:
    """JSON integers only: `bool` subclasses `int` in Python but `true` is no integer here."""
    return type(value) is int


def is_date_time(value: object) -> bool:
    """Aware datetimes only, so comparing two of them can never raise TypeError."""
    return isinstance(value, datetime) and value.tzinfo is not None


def boolsiness(value: object) -> bool | None:
    """True if truthy, False if falsy, None if neither (floats, date-times, anything else)."""
    if value is True:
        return True
    if value is False or value is None:
        return False
    if isinstance(value, str | list | dict):
        return len(value) > 0
    if type(value) is int:
        return value != 0
    return None


def strict_equals(left: object, right: object) -> bool:
    """JS `===` without coercion, extended to compare arrays, objects and date-times by value.

    Types must match exactly, so `1` differs from `true` and from `1.0`.
    """
    if type(left) is not type(right):
        return False
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(strict_equals, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(strict_equals(left[k], right[k]) for k in left)
    return bool(left == right)


def describe(value: object) -> str:
    """A short JSON-like rendering of a value for error messages."""
    if isinstance(value, datetime):
        return f"date-time {format_datetime(value)}" if is_date_time(value) else repr(value)
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (ValueError, TypeError, RecursionError):
        # Circular data, or an int beyond Python's int-to-str digit limit.
        text = f"<{type(value).__name__}>"
    if len(text) > _DESCRIPTION_LIMIT:
        return text[: _DESCRIPTION_LIMIT - 1] + "…"
    return text

"""Parsing command-line values that the domain needs in a checked form."""

from __future__ import annotations

from datetime import datetime

from healthcode.cli.errors import BadInputError


def parse_instant(text: str, option: str) -> datetime:
    """An ISO 8601 instant with an offset: a bare local time would be ambiguous across zones."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise BadInputError(
            f"{option}: {text!r} is not an ISO 8601 instant with an offset "
            "(e.g. 2021-03-20T12:00:00+08:00)"
        )
    return value

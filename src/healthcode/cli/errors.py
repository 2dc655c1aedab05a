"""How commands fail: one line on standard error and a documented exit status."""

from __future__ import annotations

import sys

from healthcode.services.refusals import Refused

EXIT_BAD_INPUT = 2


class BadInputError(Exception):
    """The input cannot be used; the message is the one line the user sees."""


def fail(message: str, status: int) -> int:
    print(f"healthcode: error: {message}", file=sys.stderr)  # noqa: T201 - the CLI's own channel
    return status


def warn(message: str) -> None:
    print(f"healthcode: {message}", file=sys.stderr)  # noqa: T201


def bad_input_line(error: BadInputError | Refused) -> str:
    """The line the operator reads; a refusal in English, with the field at fault if any."""
    if isinstance(error, BadInputError):
        return str(error)
    refusal = error.refusal
    return refusal.text.en if refusal.field is None else f"{refusal.text.en} ({refusal.field})"

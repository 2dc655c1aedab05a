"""Checked command-line values shared by the commands: enum choices, documents, instants."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

import typer

from healthcode.cli.errors import BadInputError
from healthcode.domain.facts import PersonKey
from healthcode.domain.identity import IdType, id_number_problem, normalise_id_number

E = TypeVar("E", bound=StrEnum)


def member(kind: type[E], value: str, option: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(item.value for item in kind)
        raise BadInputError(f"{option}: {value!r} is not one of: {allowed}") from None


def person_key(id_type: IdType, id_number: str, option: str = "--id-number") -> PersonKey:
    """A document number in its normalised form; the reason for a bad one never repeats it."""
    number = normalise_id_number(id_type, id_number)
    problem = id_number_problem(id_type, number)
    if problem is not None:
        raise BadInputError(f"{option}: {problem}")
    return PersonKey(id_type, number)


def show(shown: Any, line: str, as_json: bool) -> None:
    """JSON when asked or when the output is not a terminal; else one line for a person."""
    if as_json or not sys.stdout.isatty():
        typer.echo(json.dumps(shown, ensure_ascii=False))
    else:
        typer.echo(line)


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

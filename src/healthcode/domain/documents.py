"""Reading rule documents (rulesets, venue policies): checked accessors with located errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, TypeVar

from healthcode.domain.text import Bilingual

E = TypeVar("E", bound=StrEnum)


class RulesetError(ValueError):
    """A ruleset or policy that cannot be used, with the place in the document of the problem."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


def required_text(mapping: Mapping[str, Any], key: str, where: str) -> str:
    value = mapping.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RulesetError(f"{where}.{key}", "must be a non-empty string")
    return value


def optional_text(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise RulesetError(where, "must be a non-empty string")
    return value


def bilingual(value: object, where: str) -> Bilingual:
    if not isinstance(value, Mapping):
        raise RulesetError(where, "must be a mapping with zh and en")
    zh, en = value.get("zh"), value.get("en")
    if not isinstance(zh, str) or not isinstance(en, str) or not zh.strip() or not en.strip():
        raise RulesetError(where, "needs non-empty zh and en texts")
    return Bilingual(zh=zh, en=en)


def optional_member(kind: type[E], value: object, where: str) -> E | None:
    if value is None:
        return None
    try:
        return kind(str(value))
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise RulesetError(where, f"must be one of {allowed}") from None


def members(kind: type[E], values: object, where: str) -> frozenset[E]:
    """A list of enum values, or the word `all` for every member."""
    if values == "all":
        return frozenset(kind)
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise RulesetError(where, "must be a list or 'all'")
    return frozenset(_member(kind, value, where) for value in values)


def _member(kind: type[E], value: object, where: str) -> E:
    member = optional_member(kind, value, where)
    if member is None:
        raise RulesetError(where, "must not be empty")
    return member

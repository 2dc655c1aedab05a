"""Limits as data: how many of something, by whom, in how long (`rulesets/limits.yaml`).

A limit is a count in a window that begins at the first hit; what it counts (an account name, an
address, a staff member, a device) is chosen by the code that applies it, the numbers by the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from healthcode.domain.documents import RulesetError


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    count: int
    window: timedelta


@dataclass(frozen=True, slots=True)
class Limits:
    by_name: Mapping[str, Limit]

    def __getitem__(self, name: str) -> Limit:
        return self.by_name[name]


def parse_limits(document: Mapping[str, Any]) -> Limits:
    entries = document.get("limits")
    if not isinstance(entries, Mapping) or not entries:
        raise RulesetError("limits", "a mapping of named limits is required")
    return Limits({str(name): _limit(str(name), entry) for name, entry in entries.items()})


def _limit(name: str, entry: object) -> Limit:
    if not isinstance(entry, Mapping):
        raise RulesetError(f"limits.{name}", "needs count and seconds")
    count, seconds = entry.get("count"), entry.get("seconds")
    if type(count) is not int or count < 1:
        raise RulesetError(f"limits.{name}.count", "a whole number of at least 1")
    if type(seconds) is not int or seconds < 1:
        raise RulesetError(f"limits.{name}.seconds", "a whole number of seconds of at least 1")
    return Limit(name, count, timedelta(seconds=seconds))

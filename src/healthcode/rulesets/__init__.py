"""Rule documents shipped with HealthCode, and reading such documents from files (YAML or JSON).

`zhejiang-2021-36.yaml` is the default ruleset (colours); `venues.yaml` the default venue policy;
`appeals.yaml` the default appeal time limits (S6); `limits.yaml` the rate limits (issue #11);
`foreign-acceptance.yaml` which facts of foreign certificates count (issue #15; checked by
foreign/acceptance.py, a package of this layer, so it is handed over unparsed).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

import yaml

from healthcode.domain.appeals import TimeLimits, parse_time_limits
from healthcode.domain.documents import RulesetError
from healthcode.domain.limits import Limits, parse_limits
from healthcode.domain.rules import Ruleset, parse_ruleset
from healthcode.domain.venues import VenuePolicy, parse_venue_policy

DEFAULT_RULESET = "zhejiang-2021-36"
DEFAULT_VENUE_POLICY = "venues"
DEFAULT_APPEAL_LIMITS = "appeals"
DEFAULT_LIMITS = "limits"
DEFAULT_FOREIGN_ACCEPTANCE = "foreign-acceptance"

T = TypeVar("T")


def load_ruleset(path: Path) -> Ruleset:
    """Read and check a ruleset file; problems raise RulesetError naming the file and place."""
    return _load(path, parse_ruleset)


def read_ruleset_document(path: Path) -> dict[str, Any]:
    """A ruleset file as a plain mapping, not yet checked: for storing a version as written."""
    return _load(path, dict)


def load_venue_policy(path: Path) -> VenuePolicy:
    return _load(path, parse_venue_policy)


def load_appeal_limits(path: Path) -> TimeLimits:
    return _load(path, parse_time_limits)


@cache
def default_appeal_limits() -> TimeLimits:
    return _bundled(DEFAULT_APPEAL_LIMITS, parse_time_limits)


@cache
def default_limits() -> Limits:
    return _bundled(DEFAULT_LIMITS, parse_limits)


def bundled_document(name: str) -> dict[str, Any]:
    """A bundled rule document as a plain mapping, for a parser outside this package."""
    return _bundled(name, dict)


@cache
def default_ruleset() -> Ruleset:
    return _bundled(DEFAULT_RULESET, parse_ruleset)


@cache
def default_venue_policy() -> VenuePolicy:
    return _bundled(DEFAULT_VENUE_POLICY, parse_venue_policy)


def _load(path: Path, build: Callable[[Mapping[str, Any]], T]) -> T:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RulesetError(str(path), error.strerror or "cannot be read") from None
    return _parse(text, str(path), build, json_only=path.suffix == ".json")


def _bundled(name: str, build: Callable[[Mapping[str, Any]], T]) -> T:
    text = files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return _parse(text, name, build, json_only=False)


def _parse(text: str, name: str, build: Callable[[Mapping[str, Any]], T], *, json_only: bool) -> T:
    try:
        document: Any = json.loads(text) if json_only else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        kind = "JSON" if json_only else "YAML"
        raise RulesetError(name, f"not valid {kind}: {_first_line(error)}") from None
    if not isinstance(document, dict):
        raise RulesetError(name, "must be a mapping")
    try:
        return build(document)
    except RulesetError as error:
        raise RulesetError(f"{name}: {error.where}", error.reason) from None


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__

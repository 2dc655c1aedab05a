"""Both decision paths on the same facts: the per-person reference and the columnar engine.

Shared by the agreement tests (issue #12): `both_paths` returns the per-person decisions and
fails, naming the person, where the columnar ones differ in anything a decision shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl

from healthcode.certlogic import format_datetime
from healthcode.domain.areas import RiskArea, SevereDesignation
from healthcode.domain.assessment import group_by_person
from healthcode.domain.columnar.decisions import decide_frame, decisions_of
from healthcode.domain.columnar.features import population_features
from healthcode.domain.columnar.frames import areas_frame, population_frame
from healthcode.domain.columnar.rulesets import compile_ruleset
from healthcode.domain.decisions import Decision, decide
from healthcode.domain.exposure import AreaIndex
from healthcode.domain.facts import Fact
from healthcode.domain.features import derive_features
from healthcode.domain.rules import Ruleset
from healthcode.rulesets import default_ruleset


def shown(decision: Decision) -> tuple[object, ...]:
    """Everything SPEC §2 shows of a decision, and the override behind it."""
    return (
        decision.colour,
        decision.rules,
        decision.clauses,
        decision.measure,
        decision.flags,
        decision.next_review_at,
        decision.ruleset,
        decision.override,
    )


def both_paths(
    facts: Sequence[Fact],
    at: datetime,
    areas: Sequence[RiskArea] = (),
    designations: Sequence[SevereDesignation] = (),
    ruleset: Ruleset | None = None,
) -> list[Decision]:
    ruleset = ruleset or default_ruleset()
    by_person, _ = group_by_person(facts)
    index = AreaIndex(areas, designations)
    expected = [decide(derive_features(f, index, at), ruleset, at) for f in by_person.values()]
    features = population_features(
        population_frame(by_person), areas_frame(areas, designations), at
    )
    rows = features.iter_rows(named=True)
    for (person, own), row in zip(by_person.items(), rows, strict=True):
        assert _as_data(row) == _flat(derive_features(own, index, at).as_data(at)), person
    got = columnar_decisions(features, ruleset, at)
    for person, mine, reference in zip(by_person, got, expected, strict=True):
        assert shown(mine) == shown(reference), person
    return expected


def columnar_decisions(features: pl.DataFrame, ruleset: Ruleset, at: datetime) -> list[Decision]:
    compiled = compile_ruleset(ruleset)
    return decisions_of(decide_frame(features, compiled, at), compiled)


def columnar_only(facts: Sequence[Fact], at: datetime, ruleset: Ruleset) -> list[Decision]:
    by_person, _ = group_by_person(facts)
    features = population_features(population_frame(by_person), areas_frame((), ()), at)
    return columnar_decisions(features, ruleset, at)


def _flat(data: dict[str, object]) -> dict[str, object]:
    """The data context as `group.feature` paths, `now` left out (it is no feature)."""
    return {
        f"{group}.{name}": value
        for group, features in data.items()
        if isinstance(features, dict)
        for name, value in features.items()
    }


def _as_data(row: dict[str, object]) -> dict[str, object]:
    return {
        path: format_datetime(value) if isinstance(value, datetime) else value
        for path, value in row.items()
        if path != "person"
    }

"""Decisions of a whole population: the ruleset's compiled conditions over the feature frame.

The outcome of a row is which override fired first (if any) and which rules fired; under an
override only the flag rules count, as in `decide`. Rows are turned into `Decision`s by
`domain.decisions.decision_of`, the same function the per-person path uses, once per distinct
outcome.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import polars as pl

from healthcode.domain.columnar.compiler import NOW
from healthcode.domain.columnar.features import population_features
from healthcode.domain.columnar.frames import Areas, Population, instant
from healthcode.domain.columnar.outcomes import check_failures, outcome_columns, outcome_names
from healthcode.domain.columnar.review import next_reviews
from healthcode.domain.columnar.rulesets import CompiledRuleset
from healthcode.domain.decisions import Decision, decision_of


def decide_frame(features: pl.DataFrame, compiled: CompiledRuleset, at: datetime) -> pl.DataFrame:
    """`person`, the outcome columns and `next_review_at`, one row per person in order."""
    now = instant(at).dt.cast_time_unit("ms")
    features = features.with_columns(now.alias(NOW))
    check_failures(features, compiled)
    current = features.select("person", *outcome_columns(compiled))
    reviews = next_reviews(features, current, compiled, at)
    return current.join(reviews, on="person", how="left", maintain_order="left")


def decisions_of(frame: pl.DataFrame, compiled: CompiledRuleset) -> list[Decision]:
    """One `Decision` per row, built once per distinct outcome."""
    ruleset = compiled.ruleset
    made: dict[tuple[object, ...], Decision] = {}
    result = []
    names = outcome_names(compiled)
    for *outcome, review in frame.select(*names, "next_review_at").iter_rows():
        key = tuple(outcome)
        decision = made.get(key)
        if decision is None:
            override_index, *fired_bits = outcome
            override = None if override_index is None else ruleset.overrides[override_index]
            fired = tuple(rule for rule, bit in zip(ruleset.rules, fired_bits, strict=True) if bit)
            decision = made[key] = decision_of(fired, override, ruleset)
        result.append(decision if review is None else replace(decision, next_review_at=review))
    return result


def assess_population(
    population: Population, areas: Areas, compiled: CompiledRuleset, at: datetime
) -> list[Decision]:
    """Every person's decision at `at`, in the population's order."""
    features = population_features(population, areas, at)
    return decisions_of(decide_frame(features, compiled, at), compiled)

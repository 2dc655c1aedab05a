"""Decisions of a whole population: the ruleset's compiled conditions over the feature frame.

The outcome of a row is which override fired first (if any) and which rules fired; under an
override only the flag rules count, as in `decide`. Rows are turned into `Decision`s by
`domain.decisions.decision_of`, the same function the per-person path uses, once per distinct
outcome.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

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
    made: dict[tuple[object, ...], Decision] = {}
    result = []
    names = outcome_names(compiled)
    for *outcome, review in frame.select(*names, "next_review_at").iter_rows():
        key = tuple(outcome)
        decision = made.get(key)
        if decision is None:
            decision = made[key] = _decision(key, compiled)
        result.append(decision if review is None else replace(decision, next_review_at=review))
    return result


OUTCOME = "outcome"


def distinct_outcomes(
    frame: pl.DataFrame, compiled: CompiledRuleset
) -> tuple[pl.Series, list[Decision]]:
    """Each row's outcome as an index (`outcome`) into the distinct outcomes' decisions (their
    next review not set): what a page needs to digest its codes without a `Decision` a row."""
    names = outcome_names(compiled)
    distinct = frame.select(names).unique(maintain_order=True)
    decisions = [_decision(outcome, compiled) for outcome in distinct.iter_rows()]
    numbered = distinct.with_row_index(OUTCOME)
    rows = frame.select(names).join(
        numbered, on=names, how="left", nulls_equal=True, maintain_order="left"
    )
    return rows[OUTCOME], decisions


def _decision(outcome: tuple[Any, ...], compiled: CompiledRuleset) -> Decision:
    ruleset = compiled.ruleset
    override_index, *fired_bits = outcome
    override = None if override_index is None else ruleset.overrides[override_index]
    fired = tuple(rule for rule, bit in zip(ruleset.rules, fired_bits, strict=True) if bit)
    return decision_of(fired, override, ruleset)


def assess_population(
    population: Population, areas: Areas, compiled: CompiledRuleset, at: datetime
) -> list[Decision]:
    """Every person's decision at `at`, in the population's order."""
    features = population_features(population, areas, at)
    return decisions_of(decide_frame(features, compiled, at), compiled)

"""`next_review_at` for a whole population, derived from the rules as `decide` derives it.

Each date-time compared with `now` names an instant (and one millisecond later, for non-strict
comparisons) at which a comparison can flip. Every person's candidate instants after `at` become
rows of one frame, the compiled rules are evaluated on it with `now` set to the candidate, and
the first candidate whose outcome differs from the current one is the next review.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from healthcode.domain.columnar.compiler import NOW
from healthcode.domain.columnar.frames import instant
from healthcode.domain.columnar.outcomes import check_failures, outcome_columns, outcome_names
from healthcode.domain.columnar.rulesets import CompiledRuleset

_TICK = timedelta(milliseconds=1)
_REVIEW = "next_review_at"


def next_reviews(
    features: pl.DataFrame, current: pl.DataFrame, compiled: CompiledRuleset, at: datetime
) -> pl.DataFrame:
    """`person`, `next_review_at` for the persons whose decision changes with no new fact."""
    candidates = _candidates(features, compiled, at)
    if candidates.is_empty():
        return pl.DataFrame(schema={"person": pl.UInt32, _REVIEW: features.schema[NOW]})
    names = outcome_names(compiled)
    later = candidates.join(features.drop(NOW), on="person").with_columns(outcome_columns(compiled))
    was = current.rename({name: f"was_{name}" for name in names})
    later = later.join(was, on="person")
    differs = pl.any_horizontal(pl.col(name).ne_missing(pl.col(f"was_{name}")) for name in names)
    reviews = later.group_by("person").agg(pl.col(NOW).filter(differs).min().alias(_REVIEW))
    _check_failures_until(later.join(reviews, on="person"), compiled)
    return reviews.filter(pl.col(_REVIEW).is_not_null())


def _candidates(features: pl.DataFrame, compiled: CompiledRuleset, at: datetime) -> pl.DataFrame:
    """Distinct (person, instant) pairs after `at` where some comparison with `now` can flip."""
    columns = []
    for node in compiled.flips:
        value = pl.when(~node.fails).then(node.value)
        columns += [value, value + _TICK]
    if not columns:
        return pl.DataFrame(schema={"person": pl.UInt32, NOW: features.schema[NOW]})
    instants = features.select("person", pl.concat_list(columns).alias(NOW)).explode(NOW)
    after = pl.col(NOW).dt.cast_time_unit("us") > instant(at)
    return instants.filter(pl.col(NOW).is_not_null() & after).unique()


def _check_failures_until(rows: pl.DataFrame, compiled: CompiledRuleset) -> None:
    """`decide` evaluates every candidate up to the first that differs; any may raise."""
    reached = pl.col(_REVIEW).is_null() | (pl.col(NOW) <= pl.col(_REVIEW))
    check_failures(rows.filter(reached), compiled)

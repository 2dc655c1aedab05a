"""Episodes (start/end facts) folded for every person at once, as `domain/episodes.py` does.

The fold's outcome has a closed form over a person's events in time order: the episode is active
if the last event is a start; it runs since the first start of the last run of starts (a repeated
start only confirms an open episode); it ended at the last event if that is an end after a start.
"""

from __future__ import annotations

import polars as pl

_IS_START = pl.col("action") == "start"


def episodes(events: pl.DataFrame, name: str) -> pl.DataFrame:
    """`{name}.active`, `.since`, `.ended_at` per person, from events ordered by fact order."""
    run_start = _IS_START & ~_IS_START.shift(1).over("person").fill_null(value=False)
    folded = (
        events.with_columns(run_start=run_start)
        .group_by("person", maintain_order=True)
        .agg(
            active=_IS_START.last(),
            since=pl.col("occurred_at").filter(pl.col("run_start")).last(),
            last_at=pl.col("occurred_at").last(),
        )
    )
    ended = ~pl.col("active") & pl.col("since").is_not_null()
    return folded.select(
        "person",
        pl.col("active").alias(f"{name}.active"),
        pl.col("since").alias(f"{name}.since"),
        pl.when(ended).then(pl.col("last_at")).alias(f"{name}.ended_at"),
    )

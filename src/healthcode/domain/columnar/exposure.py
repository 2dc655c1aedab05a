"""Exposure to risk areas (A6) and severe designations (A7) for every person at once.

The same arithmetic as `domain/exposure.py`: a stay [start, end) overlaps a rating that began by
the instant; an open end (null) is the latest end of all. Regions are matched through the codes
that can cover them (province, prefecture, county, …), normalised once per distinct region.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from healthcode.domain.columnar.frames import Areas, instant
from healthcode.domain.regions import normalise

_LENGTHS = (2, 4, 6, 9, 12)


def prefixes(stays: pl.DataFrame) -> pl.DataFrame:
    """Every covering code of each distinct stay region, with its length (for the ids' order)."""
    rows = [
        (region, code[:length], length)
        for region in stays["region"].unique().to_list()
        for code in (normalise(region),)
        for length in _LENGTHS
        if length <= len(code)
    ]
    return pl.DataFrame(
        rows, schema={"region": pl.String, "prefix": pl.String, "length": pl.Int8}, orient="row"
    )


def _overlapping(pairs: pl.DataFrame, begins: pl.Expr, at: datetime) -> pl.DataFrame:
    """Pairs whose overlap began by `at` and is not empty; `ends` null while it goes on."""
    ends = pl.min_horizontal("end", "area_to")
    pairs = pairs.with_columns(begins=begins, ends=ends)
    kept = (pl.col("begins") <= instant(at)) & (
        pl.col("ends").is_null() | (pl.col("ends") > pl.col("begins"))
    )
    return pairs.filter(kept)


def risk_exposure(
    stays: pl.DataFrame, codes: pl.DataFrame, areas: Areas, at: datetime
) -> pl.DataFrame:
    pairs = stays.join(codes, on="region").join(
        areas.risk, left_on="prefix", right_on="area_region"
    )
    pairs = pairs.filter(pl.col("area_from") <= instant(at))
    overlaps = _overlapping(pairs, pl.max_horizontal("start", "area_from"), at)
    ongoing = pl.col("ends").is_null().any()
    return overlaps.group_by("person").agg(
        pl.lit(value=True).alias("risk_area.exposed"),
        ongoing.alias("risk_area.ongoing"),
        pl.when(~ongoing).then(pl.col("ends").max()).alias("risk_area.last_exposure_end"),
        pl.when(pl.col("rank").max() == 2)
        .then(pl.lit("high"))
        .otherwise(pl.lit("medium"))
        .alias("risk_area.level"),
    )


def severe_exposure(
    stays: pl.DataFrame, codes: pl.DataFrame, areas: Areas, at: datetime
) -> pl.DataFrame:
    designations = areas.severe
    by_region = stays.join(codes, on="region").join(
        designations.filter(pl.col("area_region").is_not_null()),
        left_on="prefix",
        right_on="area_region",
    )
    by_venue = stays.filter(pl.col("venue_id").is_not_null()).join(
        designations.filter(pl.col("area_venue").is_not_null()),
        left_on="venue_id",
        right_on="area_venue",
    )
    pairs = pl.concat(
        [
            by_region.select(*_SEVERE_PAIR, kind=pl.lit(0), length=pl.col("length").cast(pl.Int8)),
            by_venue.select(*_SEVERE_PAIR, kind=pl.lit(1), length=pl.lit(0, dtype=pl.Int8)),
        ]
    )
    in_force = (pl.col("area_from") <= instant(at)) & (
        pl.col("area_to").is_null() | (pl.col("area_to") > instant(at))
    )
    lookback = pl.duration(days=pl.col("lookback"))
    pairs = pairs.filter(in_force)
    overlaps = _overlapping(pairs, pl.max_horizontal("start", pl.col("area_from") - lookback), at)
    return _severe_features(overlaps.with_columns(lookback=lookback))


_SEVERE_PAIR = (
    *("person", "stay", "start", "end"),
    *("designation_id", "order", "lookback", "area_from", "area_to"),
)


def _severe_features(overlaps: pl.DataFrame) -> pl.DataFrame:
    # Red until the look-back after leaving, and never beyond the designation itself.
    red_until = pl.min_horizontal(pl.col("ends") + pl.col("lookback"), "area_to")
    overlaps = overlaps.with_columns(red_until=red_until).sort(
        "person", "stay", "kind", "length", "order"
    )
    ongoing = pl.col("red_until").is_null().any()
    return overlaps.group_by("person").agg(
        pl.lit(value=True).alias("severe_area.exposed"),
        ongoing.alias("severe_area.ongoing"),
        pl.when(~ongoing).then(pl.col("red_until").max()).alias("severe_area.red_until"),
        pl.col("designation_id").unique(maintain_order=True).alias("severe_area.designations"),
    )

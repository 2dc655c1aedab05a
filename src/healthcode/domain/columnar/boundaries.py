"""The two review instants that are no rule's: a fact dated ahead, and an area's next boundary.

A stored code must be looked at again at whichever comes first of the decision's own next change
(review.py), the first fact on file that takes effect after the instant, and the first start or
end after it of a risk rating or severe designation that can reach one of the person's stays
(`AreaIndex.next_boundary`: any rating of a covering region, whenever it is, since a boundary is
no new fact yet can change the code). Computed here for every person at once, with the same
stays the features use (trips in force, retractions applied).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from healthcode.domain.columnar.exposure import prefixes
from healthcode.domain.columnar.features import in_force, stays_of
from healthcode.domain.columnar.frames import INSTANT, Areas, Population, instant

PENDING = "first_pending_fact"
BOUNDARY = "next_boundary"


def review_instants(population: Population, areas: Areas, at: datetime) -> pl.DataFrame:
    """`person`, `first_pending_fact`, `next_boundary` (null where none), one row per person."""
    persons = pl.DataFrame({"person": range(len(population.persons))}, schema={"person": pl.UInt32})
    return persons.join(_first_pending(population.facts, at), on="person", how="left").join(
        _next_boundary(population.facts, areas, at), on="person", how="left"
    )


def _first_pending(facts: pl.DataFrame, at: datetime) -> pl.DataFrame:
    # Every fact counts, a retraction too: it takes effect when it occurs.
    later = facts.filter(pl.col("occurred_at") > instant(at))
    return later.group_by("person").agg(pl.col("occurred_at").min().alias(PENDING))


def _next_boundary(facts: pl.DataFrame, areas: Areas, at: datetime) -> pl.DataFrame:
    trips = in_force(facts, at).filter(pl.col("type") == "trip")
    stays = stays_of(trips)
    if stays.is_empty():
        return pl.DataFrame(schema={"person": pl.UInt32, BOUNDARY: INSTANT})
    codes = prefixes(stays)
    by_region = stays.join(codes, on="region").select("person", "prefix")
    risk = by_region.join(areas.risk, left_on="prefix", right_on="area_region")
    severe = areas.severe
    severe_by_region = by_region.join(
        severe.filter(pl.col("area_region").is_not_null()), left_on="prefix", right_on="area_region"
    )
    severe_by_venue = stays.filter(pl.col("venue_id").is_not_null()).join(
        severe.filter(pl.col("area_venue").is_not_null()), left_on="venue_id", right_on="area_venue"
    )
    reaching = pl.concat(
        [
            frame.select("person", "area_from", "area_to")
            for frame in (risk, severe_by_region, severe_by_venue)
        ]
    )
    boundaries = pl.concat(
        [
            reaching.select("person", boundary=pl.col("area_from")),
            reaching.select("person", boundary=pl.col("area_to")),
        ]
    ).filter(pl.col("boundary").is_not_null() & (pl.col("boundary") > instant(at)))
    return boundaries.group_by("person").agg(pl.col("boundary").min().alias(BOUNDARY))

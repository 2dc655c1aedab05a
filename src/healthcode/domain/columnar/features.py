"""Features of a whole population at one instant, with the semantics of `derive_features`.

One row per person, one column per CertLogic data path of docs/features.md (`diagnosis.status`,
`risk_area.last_exposure_end`, …), so a compiled rule reads a feature as `pl.col(path)`.
Instants are truncated to milliseconds, as `Features.as_data` formats them for the rules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

from healthcode.domain.columnar.episodes import episodes
from healthcode.domain.columnar.exposure import prefixes, risk_exposure, severe_exposure
from healthcode.domain.columnar.frames import Areas, Population, instant

RULE_INSTANT = pl.Datetime("ms", "UTC")
_EPISODES = ("isolation", "home_observation", "health_monitoring", "fever_clinic")
_COLOURS = ("red", "yellow", "green")

# Every feature column and its type; the compiler reads a rule's `var`s against it.
FEATURE_TYPES: dict[str, Any] = {
    "diagnosis.status": pl.String,
    "diagnosis.at": RULE_INSTANT,
    "diagnosis.positive_test_pending": pl.Boolean,
    "tests.last_negative_sampled_at": RULE_INSTANT,
    "tests.last_positive_sampled_at": RULE_INSTANT,
    **{
        f"{name}.{part}": kind
        for name in _EPISODES
        for part, kind in (
            ("active", pl.Boolean),
            ("since", RULE_INSTANT),
            ("ended_at", RULE_INSTANT),
        )
    },
    "isolation.setting": pl.String,
    "isolation.reason": pl.String,
    "symptoms.open": pl.Boolean,
    "symptoms.reported_at": RULE_INSTANT,
    "symptoms.symptoms": pl.List(pl.String),
    **{f"designation.{colour}": pl.Boolean for colour in _COLOURS},
    "designation.reason": pl.String,
    "risk_area.exposed": pl.Boolean,
    "risk_area.ongoing": pl.Boolean,
    "risk_area.last_exposure_end": RULE_INSTANT,
    "risk_area.level": pl.String,
    "severe_area.exposed": pl.Boolean,
    "severe_area.ongoing": pl.Boolean,
    "severe_area.red_until": RULE_INSTANT,
    "severe_area.designations": pl.List(pl.String),
    "entry.last_at": RULE_INSTANT,
    "entry.from_country": pl.String,
    "vaccination.doses": pl.Int64,
}


def population_features(population: Population, areas: Areas, at: datetime) -> pl.DataFrame:
    """Every person's features at `at`, persons in their order (row i is person i)."""
    facts = in_force(population.facts, at)
    persons = pl.DataFrame({"person": range(len(population.persons))}, schema={"person": pl.UInt32})
    parts = [*_status_parts(facts), *_episode_parts(facts), *_exposure_parts(facts, areas, at)]
    for part in parts:
        persons = persons.join(part, on="person", how="left")
    present = set(persons.columns)
    return persons.select(
        "person", *(_filled(path, kind, path in present) for path, kind in FEATURE_TYPES.items())
    )


def in_force(facts: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """Facts that occurred by `at` and are not withdrawn by a retraction by then, in fact order."""
    known = facts.filter(pl.col("occurred_at") <= instant(at))
    retractions = known.filter(pl.col("type") == "retraction")
    withdrawn = retractions.select("person", event_id=pl.col("retracts")).unique()
    kept = known.filter(pl.col("type") != "retraction").join(
        withdrawn, on=["person", "event_id"], how="anti"
    )
    return kept.sort("person", "occurred_at", "source", "event_id")


def _filled(path: str, kind: Any, present: bool) -> pl.Expr:
    """A feature column with the default of a person of whom nothing is known."""
    # No person has a trip in force, say: the column is all defaults.
    column = (pl.col(path) if present else pl.lit(None)).cast(_STORED.get(kind, kind)).alias(path)
    if kind == RULE_INSTANT:
        return column.dt.cast_time_unit("ms")
    if isinstance(kind, pl.List):
        return column.fill_null(pl.lit([], dtype=kind))
    default = _DEFAULTS.get(kind)
    return column if default is None else column.fill_null(default)


_DEFAULTS: dict[Any, object] = {pl.Boolean: False, pl.Int64: 0}
_STORED: dict[Any, Any] = {RULE_INSTANT: pl.Datetime("us", "UTC")}


def _of(facts: pl.DataFrame, kind: str) -> pl.DataFrame:
    return facts.filter(pl.col("type") == kind)


def _latest(facts: pl.DataFrame, **columns: pl.Expr) -> pl.DataFrame:
    return facts.group_by("person", maintain_order=True).agg(**columns)


def _status_parts(facts: pl.DataFrame) -> list[pl.DataFrame]:
    return [
        _latest(
            _of(facts, "diagnosis"),
            **{
                "diagnosis.status": pl.col("status").last(),
                "diagnosis.at": pl.col("occurred_at").last(),
            },
        ),
        _pending(facts),
        _tests(facts),
        _symptoms(_of(facts, "symptoms")),
        _latest(
            _of(facts, "entry"),
            **{
                "entry.last_at": pl.col("occurred_at").last(),
                "entry.from_country": pl.col("from_country").last(),
            },
        ),
        _latest(_of(facts, "vaccination"), **{"vaccination.doses": pl.col("dose").max()}),
    ]


def _pending(facts: pl.DataFrame) -> pl.DataFrame:
    # A diagnosis is the health department's word on every earlier positive test.
    positive = (pl.col("type") == "test") & (pl.col("result") == "positive")
    relevant = facts.filter((pl.col("type") == "diagnosis") | positive)
    return _latest(
        relevant, **{"diagnosis.positive_test_pending": (pl.col("type") == "test").last()}
    )


def _tests(facts: pl.DataFrame) -> pl.DataFrame:
    sampled = pl.col("sampled_at")
    return _latest(
        _of(facts, "test"),
        **{
            "tests.last_negative_sampled_at": sampled.filter(pl.col("result") == "negative").max(),
            "tests.last_positive_sampled_at": sampled.filter(pl.col("result") == "positive").max(),
        },
    )


def _symptoms(events: pl.DataFrame) -> pl.DataFrame:
    report = pl.col("action") == "report"
    return _latest(
        events,
        **{
            "symptoms.open": report.last(),
            "symptoms.reported_at": pl.col("occurred_at").filter(report).last(),
            "symptoms.symptoms": pl.col("symptoms").filter(report).last(),
        },
    )


def _episode_parts(facts: pl.DataFrame) -> list[pl.DataFrame]:
    parts = [episodes(_of(facts, name), name) for name in _EPISODES]
    isolation_start = _of(facts, "isolation").filter(pl.col("action") == "start")
    parts.append(
        _latest(
            isolation_start,
            **{
                # A start without a setting or reason keeps the earlier one.
                "isolation.setting": pl.col("setting").drop_nulls().last(),
                "isolation.reason": pl.col("reason").drop_nulls().last(),
            },
        )
    )
    designations = _of(facts, "designation")
    for colour in _COLOURS:
        # An end without a colour ends every colour.
        mine = designations.filter(pl.col("color").is_null() | (pl.col("color") == colour))
        part = episodes(mine, f"designation.{colour}")
        parts.append(
            part.select(
                "person", pl.col(f"designation.{colour}.active").alias(f"designation.{colour}")
            )
        )
    started = designations.filter(pl.col("action") == "start")
    parts.append(_latest(started, **{"designation.reason": pl.col("reason").last()}))
    return parts


def _exposure_parts(facts: pl.DataFrame, areas: Areas, at: datetime) -> list[pl.DataFrame]:
    stays = stays_of(_of(facts, "trip"))
    if stays.is_empty():
        return []
    codes = prefixes(stays)
    return [risk_exposure(stays, codes, areas, at), severe_exposure(stays, codes, areas, at)]


def stays_of(trips: pl.DataFrame) -> pl.DataFrame:
    """Trips as stays; an open trip ends where the person's next trip begins."""
    next_start = pl.col("occurred_at").shift(-1).over("person")
    return trips.select(
        "person",
        stay=pl.int_range(pl.len()).over("person"),
        region="region",
        start="occurred_at",
        end=pl.col("until").fill_null(next_start),
        venue_id="venue_id",
    )

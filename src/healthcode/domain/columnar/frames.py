"""Columnar facts and area lists: the input of the population engine.

One row per fact, one column per payload field (null where a payload has no such field), so that
each feature is a filter and an aggregation over one frame. Persons are numbered in order of
first appearance; `PersonKey`s stay in a Python list beside the frame, since rules never see them.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import polars as pl

from healthcode.domain.areas import RiskArea, SevereDesignation
from healthcode.domain.facts import (
    Designation,
    Diagnosis,
    Entry,
    Fact,
    FeverClinic,
    HealthMonitoring,
    HomeObservation,
    Isolation,
    Retraction,
    Symptoms,
    Test,
    Trip,
    Vaccination,
)
from healthcode.domain.regions import normalise

K = TypeVar("K", bound=Hashable)

INSTANT = pl.Datetime("us", "UTC")
FACT_SCHEMA: dict[str, Any] = {
    "person": pl.UInt32,
    "occurred_at": INSTANT,
    "source": pl.String,
    "event_id": pl.String,
    "type": pl.String,
    "action": pl.String,
    "status": pl.String,
    "setting": pl.String,
    "reason": pl.String,
    "color": pl.String,
    "result": pl.String,
    "sampled_at": INSTANT,
    "dose": pl.Int64,
    "region": pl.String,
    "until": INSTANT,
    "venue_id": pl.String,
    "from_country": pl.String,
    "retracts": pl.String,
    "symptoms": pl.List(pl.String),
}


@dataclass(frozen=True, slots=True)
class Population:
    """Facts as a frame, and who each person number is."""

    facts: pl.DataFrame
    # `PersonKey`s from files, stored person ids from the database: anything that names a person.
    persons: tuple[Hashable, ...]


def population_frame(by_person: Mapping[K, Sequence[Fact]]) -> Population:
    """Columnar facts of already grouped (and de-duplicated) persons, numbered in their order.

    Built one fact type at a time, each with only its own columns: a column of nulls costs
    nothing to make, a dictionary per fact does.
    """
    by_type: dict[str, tuple[list[int], list[Fact]]] = {}
    for number, facts in enumerate(by_person.values()):
        for fact in facts:
            numbers, of_type = by_type.setdefault(fact.type, ([], []))
            numbers.append(number)
            of_type.append(fact)
    frames = [_frame_of(numbers, facts) for numbers, facts in by_type.values()]
    empty = pl.DataFrame(schema=FACT_SCHEMA)
    return Population(pl.concat([empty, *frames], how="diagonal"), tuple(by_person))


def _frame_of(numbers: list[int], facts: list[Fact]) -> pl.DataFrame:
    """Facts of one type: the envelope's columns and those of the payload."""
    fields = [_payload_fields(fact.payload) for fact in facts]
    columns: dict[str, list[Any]] = {
        "person": numbers,
        "occurred_at": [fact.occurred_at for fact in facts],
        "source": [fact.source.value for fact in facts],
        "event_id": [fact.event_id for fact in facts],
        "type": [fact.type for fact in facts],
    }
    for name in fields[0]:
        columns[name] = [row[name] for row in fields]
    return pl.DataFrame(columns, schema={name: FACT_SCHEMA[name] for name in columns})


def _payload_fields(payload: object) -> dict[str, object]:  # noqa: PLR0911 - one case per payload
    match payload:
        case Diagnosis():
            return {"status": payload.status.value}
        case Isolation():
            setting, reason = payload.setting, payload.reason
            return {
                "action": payload.action.value,
                "setting": None if setting is None else setting.value,
                "reason": None if reason is None else reason.value,
            }
        case HomeObservation() | HealthMonitoring() | FeverClinic():
            return {"action": payload.action.value}
        case Symptoms():
            return {"action": payload.action.value, "symptoms": [s.value for s in payload.symptoms]}
        case Test():
            return {"result": payload.result.value, "sampled_at": payload.sampled_at}
        case Vaccination():
            return {"dose": payload.dose}
        case Trip():
            return {"region": payload.region, "until": payload.until, "venue_id": payload.venue_id}
        case Entry():
            return {"from_country": payload.from_country}
        case Designation():
            colour = None if payload.color is None else payload.color.value
            return {"action": payload.action.value, "color": colour, "reason": payload.reason}
        case Retraction():
            return {"retracts": payload.event_id}
    return {}


# The record fields each fact type puts into the frame, as `_payload_fields` does from a fact.
_RECORD_COLUMNS: dict[str, tuple[str, ...]] = {
    "diagnosis": ("status",),
    "isolation": ("action", "setting", "reason"),
    "home_observation": ("action",),
    "health_monitoring": ("action",),
    "fever_clinic": ("action",),
    "symptoms": ("action", "symptoms"),
    "test": ("result", "sampled_at"),
    "vaccination": ("dose",),
    "trip": ("region", "until", "venue_id"),
    "entry": ("from_country",),
    "designation": ("action", "color", "reason"),
    "retraction": ("retracts",),
}
_INSTANT_FIELDS = frozenset({"occurred_at", "sampled_at", "until"})


def population_frame_of_records(
    by_person: Mapping[K, Sequence[Mapping[str, Any]]],
) -> Population:
    """`population_frame` of fact records (`exchange.writer.fact_record`) that were checked
    when they were recorded and kept sealed since, without making them into facts again.

    Stored records are those the writer made of valid facts, so every field holds what
    `parse_fact` would make of it: only instants need parsing (ISO 8601 with an offset).
    """
    by_type: dict[str, tuple[list[int], list[Mapping[str, Any]]]] = {}
    for number, records in enumerate(by_person.values()):
        for record in records:
            numbers, of_type = by_type.setdefault(str(record["type"]), ([], []))
            numbers.append(number)
            of_type.append(record)
    frames = [
        _frame_of_records(kind, {"person": numbers}, records)
        for kind, (numbers, records) in by_type.items()
    ]
    empty = pl.DataFrame(schema=FACT_SCHEMA)
    return Population(pl.concat([empty, *frames], how="diagonal"), tuple(by_person))


KEYED_SCHEMA: dict[str, Any] = {
    "person_id": pl.String,
    "fact_id": pl.Int64,
    **{name: dtype for name, dtype in FACT_SCHEMA.items() if name != "person"},
}
"""A fact frame keyed by stored person id and fact id instead of a person number: what a shard's
snapshot holds (db/fact_snapshots.py), whoever a page of it is later decided for."""


def keyed_frame_of_records(rows: Iterable[tuple[str, int, Mapping[str, Any]]]) -> pl.DataFrame:
    """Stored records as `population_frame_of_records` frames them, each row keyed by its
    (person id, fact id) instead of a person number."""
    by_type: dict[str, tuple[list[str], list[int], list[Mapping[str, Any]]]] = {}
    for person_id, fact_id, record in rows:
        person_ids, fact_ids, of_type = by_type.setdefault(str(record["type"]), ([], [], []))
        person_ids.append(person_id)
        fact_ids.append(fact_id)
        of_type.append(record)
    frames = [
        _frame_of_records(kind, {"person_id": person_ids, "fact_id": fact_ids}, records)
        for kind, (person_ids, fact_ids, records) in by_type.items()
    ]
    return pl.concat([pl.DataFrame(schema=KEYED_SCHEMA), *frames], how="diagonal")


def population_of_keyed(keyed: pl.DataFrame, person_ids: Sequence[str]) -> Population:
    """The facts of `person_ids` (numbered in that order) out of keyed frames, in fact order.

    Rows of other persons are left out, so a whole shard's frame can be given for a page of it.
    """
    numbers = pl.DataFrame(
        {"person_id": list(person_ids), "person": range(len(person_ids))},
        schema={"person_id": pl.String, "person": pl.UInt32},
    )
    facts = (
        keyed.join(numbers, on="person_id", how="inner")
        .sort("person", "fact_id")
        .select(list(FACT_SCHEMA))
    )
    return Population(facts, tuple(person_ids))


def _frame_of_records(
    kind: str, keys: Mapping[str, list[Any]], records: list[Mapping[str, Any]]
) -> pl.DataFrame:
    names = ("occurred_at", "source", "event_id", "type", *_RECORD_COLUMNS.get(kind, ()))
    columns: dict[str, list[Any]] = dict(keys)
    for name in names:
        values = [record.get(name) for record in records]
        if name in _INSTANT_FIELDS:
            values = [None if value is None else datetime.fromisoformat(value) for value in values]
        columns[name] = values
    schema = FACT_SCHEMA | KEYED_SCHEMA
    return pl.DataFrame(columns, schema={name: schema[name] for name in columns})


@dataclass(frozen=True, slots=True)
class Areas:
    """Risk areas (medium and high only) and severe designations, regions normalised."""

    risk: pl.DataFrame
    severe: pl.DataFrame


def areas_frame(risk_areas: Iterable[RiskArea], designations: Sequence[SevereDesignation]) -> Areas:
    counted = [area for area in risk_areas if area.level.value in ("high", "medium")]
    risk = pl.DataFrame(
        {
            "area_region": [normalise(area.region) for area in counted],
            "rank": [2 if area.level.value == "high" else 1 for area in counted],
            "area_from": [area.effective_from for area in counted],
            "area_to": [area.effective_to for area in counted],
        },
        schema={
            "area_region": pl.String,
            "rank": pl.Int8,
            "area_from": INSTANT,
            "area_to": INSTANT,
        },
    )
    return Areas(risk, _severe_frame(designations))


def _severe_frame(designations: Sequence[SevereDesignation]) -> pl.DataFrame:
    def region(item: SevereDesignation) -> str | None:
        return None if item.region is None else normalise(item.region)

    return pl.DataFrame(
        {
            "designation_id": [d.designation_id for d in designations],
            "order": list(range(len(designations))),
            "area_region": [region(d) for d in designations],
            "area_venue": [d.venue_id for d in designations],
            "lookback": [d.lookback_days for d in designations],
            "area_from": [d.effective_from for d in designations],
            "area_to": [d.effective_to for d in designations],
        },
        schema={
            "designation_id": pl.String,
            "order": pl.Int64,
            "area_region": pl.String,
            "area_venue": pl.String,
            "lookback": pl.Int64,
            "area_from": INSTANT,
            "area_to": INSTANT,
        },
    )


def instant(value: datetime) -> pl.Expr:
    """A literal instant in the frames' type."""
    return pl.lit(value.astimezone(UTC), dtype=INSTANT)

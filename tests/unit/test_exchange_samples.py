"""The sample files bundled for `make run` are valid exchange files (SPEC §1)."""

from __future__ import annotations

from pathlib import Path

import healthcode
from healthcode.domain.areas import RiskArea, SevereDesignation
from healthcode.domain.facts import Fact, Trip
from healthcode.domain.identity import IdType
from healthcode.domain.regions import covers
from healthcode.exchange import RecordError, read_facts, read_risk_areas, read_severe_designations

SAMPLES = Path(healthcode.__file__).parent / "samples"


def test_bundled_samples_are_valid__S5() -> None:
    facts = list(read_facts(SAMPLES / "events.jsonl"))
    from_csv = list(read_facts(SAMPLES / "events.csv"))
    areas = list(read_risk_areas(SAMPLES / "risk_areas.jsonl"))
    severe = list(read_severe_designations(SAMPLES / "severe_areas.jsonl"))
    for items in (facts, from_csv, areas, severe):
        assert items
        assert [str(item) for item in items if isinstance(item, RecordError)] == []
    assert all(isinstance(area, RiskArea) for area in areas)
    assert all(isinstance(fact, Fact) for fact in facts + from_csv)


def test_bundled_samples_cover_the_cases_they_illustrate__S5() -> None:
    facts = [fact for fact in read_facts(SAMPLES / "events.jsonl") if isinstance(fact, Fact)]
    assert len({fact.person.key for fact in facts}) >= 12
    assert {fact.type for fact in facts} == {
        "diagnosis",
        "isolation",
        "home_observation",
        "health_monitoring",
        "fever_clinic",
        "symptoms",
        "test",
        "vaccination",
        "trip",
        "entry",
        "designation",
    }
    assert any(fact.person.id_type == IdType.PASSPORT for fact in facts)
    (designation,) = read_severe_designations(SAMPLES / "severe_areas.jsonl")
    assert isinstance(designation, SevereDesignation)
    assert designation.region is not None
    trips = [fact.payload for fact in facts if isinstance(fact.payload, Trip)]
    assert any(covers(designation.region, trip.region) for trip in trips)

"""The demo population: deterministic, valid, and showing every kind of fact and colour (S5, A4)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from healthcode.demo.loading import person
from healthcode.demo.places import venues
from healthcode.demo.population import Population, generate
from healthcode.demo.residents import FIXED_RESIDENTS, GREEN_RESIDENT, GREEN_RESIDENT_PARENT
from healthcode.domain.applications import Relationship
from healthcode.domain.assessment import assess_all, group_by_person
from healthcode.domain.exposure import AreaIndex
from healthcode.domain.facts import EVENT_TYPES, PersonKey
from healthcode.domain.identity import IdType, id_number_problem
from healthcode.exchange import parse_fact, parse_risk_area, parse_severe_designation
from healthcode.rulesets import default_ruleset
from healthcode.services.checkpoint.venues import RegisteredVenue, checks_codes, default_venue

SAMPLES_DAY = datetime.fromisoformat("2021-03-20T12:00:00+08:00")
LATER = datetime.fromisoformat("2025-06-01T09:30:00+08:00")


def colours(population: Population) -> dict[PersonKey, str]:
    """What the default ruleset decides for everyone, in memory, as `healthcode assess` does."""
    by_person, conflicts = group_by_person(parse_fact(record) for record in population.events)
    assert conflicts == []
    areas = AreaIndex(
        [parse_risk_area(record) for record in population.risk_areas],
        [parse_severe_designation(record) for record in population.severe],
    )
    assessed = assess_all(by_person, areas, default_ruleset(), population.now)
    return {item.person: item.decision.colour.value for item in assessed}


def test_the_same_seed_and_instant_give_the_same_population__S5() -> None:
    assert generate(7, SAMPLES_DAY, 60) == generate(7, SAMPLES_DAY, 60)
    assert generate(7, SAMPLES_DAY, 60).events != generate(8, SAMPLES_DAY, 60).events


def test_a_larger_demo_keeps_the_first_persons_as_they_were__S5() -> None:
    small, large = generate(3, SAMPLES_DAY, 50), generate(3, SAMPLES_DAY, 90)
    assert large.persons[: len(small.persons)] == small.persons
    assert large.events[: len(small.events)] == small.events
    assert large.applications[: len(small.applications)] == small.applications


@pytest.mark.parametrize("now", [SAMPLES_DAY, LATER])
def test_every_document_number_is_valid_and_every_document_type_occurs__A8(now: datetime) -> None:
    population = generate(1, now)
    keys = [person(demo.person).key for demo in population.persons]
    assert len(keys) == len(set(keys)) == 300 + len(FIXED_RESIDENTS)
    assert [key for key in keys if id_number_problem(key.id_type, key.id_number)] == []
    assert {key.id_type for key in keys} == set(IdType)


@pytest.mark.parametrize("now", [SAMPLES_DAY, LATER])
def test_every_event_type_occurs_and_nothing_is_dated_after_now__S5(now: datetime) -> None:
    population = generate(1, now, 40)
    facts = [parse_fact(record) for record in population.events]  # raises on any invalid record
    assert {fact.type for fact in facts} == set(EVENT_TYPES)
    assert max(fact.occurred_at for fact in facts) < now


@pytest.mark.parametrize(("seed", "now"), [(1, SAMPLES_DAY), (2, LATER)])
def test_each_story_leads_to_its_colour_and_all_three_occur__A4(seed: int, now: datetime) -> None:
    population = generate(seed, now)
    decided = colours(population)
    wrong = Counter(
        (demo.story, decided[person(demo.person).key])
        for demo in population.persons
        if decided[person(demo.person).key] != demo.colour
    )
    assert wrong == Counter()
    assert set(decided.values()) == {"green", "yellow", "red"}


def test_the_fixed_residents_have_their_documented_colours__A4() -> None:
    decided = colours(generate(1, LATER, 40))
    assert [decided[person(fixed.record).key] for fixed in FIXED_RESIDENTS] == [
        "green",
        "green",
        "yellow",
        "red",
    ]
    assert [fixed.phone for fixed in FIXED_RESIDENTS] == [
        "13800000001",
        None,
        "13800000002",
        "13800000003",
    ]


def test_family_members_apply_on_behalf_and_the_fixed_parent_is_left_to_apply__S3() -> None:
    population = generate(1, SAMPLES_DAY)
    proxies = [planned for planned in population.applications if planned.applicant is not None]
    assert {planned.relationship for planned in proxies} == {
        Relationship.CHILD,
        Relationship.PARENT,
    }
    assert all(planned.applicant != planned.person for planned in proxies)
    applied = [person(planned.person).key for planned in population.applications]
    parent = person(GREEN_RESIDENT_PARENT.record).key
    assert person(GREEN_RESIDENT.record).key in applied
    assert parent not in applied
    assert parent in colours(population)  # known through facts, so applying for her works
    assert "phone" not in GREEN_RESIDENT_PARENT.record


def test_the_demos_checkpoint_starts_at_a_venue_that_checks_codes__S2() -> None:
    """Listed by id, as the page lists them: the first is an airport in a low-risk area, where a
    scan would say only "not checked"; the page starts at the first that checks."""
    registered = [
        RegisteredVenue(v.id, v.name, v.category, v.region, v.area_risk, v.area_risk)
        for v in sorted(venues(), key=lambda planned: planned.id)
    ]
    assert not checks_codes(registered[0])
    chosen = default_venue(registered)
    assert chosen is not None
    assert checks_codes(chosen)

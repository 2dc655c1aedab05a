"""A synthetic population as the departments would send it (SPEC §1), from a seed and an instant.

    population = generate(seed=1, now=datetime(2021, 3, 20, 12, tzinfo=CHINA_TIME))

Pure: nothing is read from the clock, the database or the network, and the same seed and instant
always give the same records. The first persons get one story each, in an order the seed shuffles,
so every story (and every event type, every colour) is there from a few dozen persons on; the rest
draw stories by weight, most of them an uneventful green. Some persons bring a family member: an
elderly parent or a child, applied for by them (家人代办, S3).

Persons are generated one after the other from one random stream, so a larger `persons` keeps the
first ones as they were: a demo database can grow without its facts conflicting.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from healthcode.demo.identities import Identities
from healthcode.demo.places import (
    INSTITUTIONS,
    PlannedInstitution,
    PlannedVenue,
    risk_area_records,
    severe_records,
    venues,
)
from healthcode.demo.residents import FIXED_RESIDENTS, fixed_events, register_records
from healthcode.demo.stories import STORIES, Story, history
from healthcode.demo.timeline import EventIds, Record, Timeline
from healthcode.domain.applications import Channel, Relationship
from healthcode.domain.identity import IdType

DEFAULT_PERSONS: Final = 300
CHANNEL_WEIGHTS: Final = {
    Channel.ZHELIBANG: 3, Channel.ALIPAY: 4, Channel.WECHAT: 3, Channel.WEB: 1, Channel.HOTLINE: 1,
}  # fmt: skip
PROXY_CHANNELS: Final = (Channel.ZHELIBANG, Channel.ALIPAY, Channel.WECHAT)


@dataclass(frozen=True, slots=True)
class DemoPerson:
    person: Record  # the exchange format's `person`
    story: str
    colour: str  # what the story leads to under the default ruleset


@dataclass(frozen=True, slots=True)
class PlannedApplication:
    """An application to take: by the person, or by `applicant` on their behalf (A1, S3)."""

    person: Record
    channel: Channel
    applicant: Record | None = None
    relationship: Relationship | None = None
    international: bool = False  # asked for explicitly by a resident ID holder (A8)


@dataclass(frozen=True, slots=True)
class Population:
    seed: int
    now: datetime
    persons: list[DemoPerson] = field(default_factory=list)
    events: list[Record] = field(default_factory=list)
    register: list[Record] = field(default_factory=list)  # the population register (police)
    applications: list[PlannedApplication] = field(default_factory=list)
    risk_areas: list[Record] = field(default_factory=list)
    severe: list[Record] = field(default_factory=list)
    venues: list[PlannedVenue] = field(default_factory=list)
    institutions: tuple[PlannedInstitution, ...] = INSTITUTIONS


def generate(seed: int, now: datetime, persons: int = DEFAULT_PERSONS) -> Population:
    """`persons` synthetic persons plus the fixed demo residents, as of `now`."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not a secret
    population = Population(seed, now, risk_areas=risk_area_records(now),
                            severe=severe_records(now), venues=venues())  # fmt: skip
    _add_fixed_residents(population)
    builder = _Builder(rng, population, persons)
    order = list(STORIES)
    rng.shuffle(order)
    while not builder.full:
        first = builder.primaries < len(order)
        story = order[builder.primaries] if first else _weighted(rng)
        builder.household(story)
    return population


def _add_fixed_residents(population: Population) -> None:
    for resident in FIXED_RESIDENTS:
        story = f"fixed:{resident.name}"
        population.persons.append(DemoPerson(resident.record, story, resident.colour))
        if resident.channel is not None:
            population.applications.append(PlannedApplication(resident.record, resident.channel))
    population.events.extend(fixed_events(population.now))
    population.register.extend(register_records(population.now))


def _weighted(rng: random.Random) -> Story:
    return rng.choices(STORIES, weights=[story.weight for story in STORIES])[0]


class _Builder:
    """Persons one household at a time, until the population has as many as asked for."""

    def __init__(self, rng: random.Random, population: Population, wanted: int) -> None:
        self.rng = rng
        self.population = population
        self.primaries = 0
        self._made = 0
        self._wanted = wanted
        taken = {str(person.person["id_number"]) for person in population.persons}
        self._identities = Identities(rng, population.now, taken)
        self._ids = EventIds(f"demo-{population.seed}")

    @property
    def full(self) -> bool:
        return self._made >= self._wanted

    def household(self, story: Story) -> None:
        """A person with their story, and perhaps a parent or child they apply for."""
        rng, identities = self.rng, self._identities
        self.primaries += 1
        if story.traveller:
            person = identities.traveller()
        else:
            person = identities.expatriate() if rng.random() < 0.03 else identities.resident()
        self._person(person, story)
        self._apply_for_self(person, story)
        relative = rng.random()
        if person["id_type"] != IdType.RESIDENT_ID or self.full:
            return
        born = int(str(person["id_number"])[6:10])
        if relative < 0.15 and 1960 <= born <= 2000:
            self._relative(person, (1935, 1955), Relationship.CHILD)
        elif relative < 0.25 and 1975 <= born <= 1995:
            self._relative(person, (2008, 2020), Relationship.PARENT)

    def _person(self, person: Record, story: Story) -> None:
        line = Timeline(self.rng, self.population.now, person, self._ids)
        if not story.traveller:
            history(line)
        story.write(line)
        self.population.persons.append(DemoPerson(person, story.name, story.colour))
        self.population.events.extend(line.events)
        self._made += 1

    def _apply_for_self(self, person: Record, story: Story) -> None:
        rng = self.rng
        channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
        # A mainland resident back from abroad may choose the international version (A8).
        returning = story.traveller and person["id_type"] == IdType.RESIDENT_ID
        international = returning and story.name != "arrived_long_ago" and rng.random() < 0.7
        if rng.random() < 0.92:
            self.population.applications.append(
                PlannedApplication(person, channel, international=international)
            )

    def _relative(self, person: Record, born: tuple[int, int], relationship: Relationship) -> None:
        """A parent (the person is their child) or a child (the person is their parent)."""
        rng = self.rng
        relative = self._identities.resident(born)
        if rng.random() < 0.6:  # children, and fathers, share the family name
            relative["name"] = self._identities.chinese_name(str(person["name"])[0])
        self._person(relative, _weighted(rng))
        if rng.random() < 0.85:
            channel = rng.choice(PROXY_CHANNELS)
            self.population.applications.append(
                PlannedApplication(relative, channel, person, relationship)
            )

"""Assessing many people at once, in memory: facts grouped by person, one decision each.

This is the whole pipeline of DESIGN without a database: facts → features → decision. Persons come
out in the order they first appear in the input. A record repeated with the same content is a
no-op; the same `(source, event_id)` with other content is a conflict, reported and not used.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from healthcode.domain.decisions import Decision, decide
from healthcode.domain.exposure import AreaIndex
from healthcode.domain.facts import Fact, PersonKey, Source
from healthcode.domain.features import derive_features
from healthcode.domain.rules import Ruleset


@dataclass(frozen=True, slots=True)
class Assessment:
    person: PersonKey
    decision: Decision


@dataclass(frozen=True, slots=True)
class Conflict:
    """A fact whose `(source, event_id)` was already seen with other content."""

    fact: Fact


def group_by_person(facts: Iterable[Fact]) -> tuple[dict[PersonKey, list[Fact]], list[Conflict]]:
    """Each person's facts, persons in order of first appearance, without repeats."""
    by_person: dict[PersonKey, list[Fact]] = {}
    seen: dict[tuple[Source, str], Fact] = {}
    conflicts: list[Conflict] = []
    for fact in facts:
        identity = (fact.source, fact.event_id)
        earlier = seen.get(identity)
        if earlier is not None:
            if earlier != fact:
                conflicts.append(Conflict(fact))
            continue
        seen[identity] = fact
        by_person.setdefault(fact.person.key, []).append(fact)
    return by_person, conflicts


def assess_all(
    by_person: dict[PersonKey, list[Fact]], areas: AreaIndex, ruleset: Ruleset, at: datetime
) -> Iterator[Assessment]:
    for person, facts in by_person.items():
        features = derive_features(facts, areas, at)
        yield Assessment(person, decide(features, ruleset, at))

"""Recording department facts (S5): idempotent, conflict-checked, re-evaluating who they touch.

Corrections (S6) are checked against the person's facts: a retraction naming no fact of theirs, or
a green designation without its end, is refused like a conflict, located, and the rest is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from healthcode.db.facts_store import FactContent, NewFact
from healthcode.domain.corrections import correction_problem, needs_footing
from healthcode.domain.facts import Fact, PersonKey
from healthcode.exchange import RecordError
from healthcode.services.evaluation import Reevaluation, reevaluate
from healthcode.services.population_jobs import enqueue
from healthcode.services.runtime import UnitOfWork

CONFLICT = "an earlier record with this source and event_id has other content"

Fresh = tuple[Fact, FactContent, str]
"""A fact not seen before, its content (digest and record) and where it was in its batch."""


@dataclass(slots=True)
class RecordReport:
    accepted: int = 0
    duplicates: int = 0
    conflicts: list[RecordError] = field(default_factory=list)
    reevaluation: Reevaluation = field(default_factory=Reevaluation)
    queued: int = 0  # persons queued for a population job instead (`defer`)


def record_facts(
    uow: UnitOfWork,
    facts: Sequence[Fact],
    locations: Sequence[str] | None = None,
    defer: bool = False,
) -> RecordReport:
    """Append new facts, skip repeats, refuse conflicts, and bring the touched codes up to date.

    `locations` (line or item of each fact in its file) name the conflicts in the report.
    With `defer` (a bulk import), the touched persons are queued in this transaction instead
    (`evaluation_queue`), for one population job after the last batch: a person an import
    touches in many batches is then re-evaluated once, not once a batch.
    """
    report = RecordReport()
    where = (
        list(locations) if locations is not None else [f"record {i + 1}" for i in range(len(facts))]
    )
    known = uow.facts.known_digests((fact.source.value, fact.event_id) for fact in facts)
    fresh: list[Fresh] = []
    for fact, location in zip(facts, where, strict=True):
        identity = (fact.source.value, fact.event_id)
        content = uow.facts.content(fact)
        earlier = known.get(identity)
        if earlier is None:
            known[identity] = content.digest
            fresh.append((fact, content, location))
        elif earlier == content.digest:
            report.duplicates += 1
        else:
            report.conflicts.append(RecordError(location, fact.event_id, "event_id", CONFLICT))
    fresh = _founded(uow, fresh, report.conflicts)
    person_ids = _person_ids(uow, [fact for fact, _, _ in fresh])
    uow.facts.add([NewFact(person_ids[f.person.key], f, c) for f, c, _ in fresh], uow.now)
    report.accepted = len(fresh)
    causes = {person_ids[f.person.key]: f"{f.source.value}:{f.event_id}" for f, _, _ in fresh}
    if defer:
        enqueue(uow, causes, cause="fact")
        report.queued = len(causes)
    else:
        report.reevaluation = reevaluate(uow, causes, cause="fact")
    uow.audit(
        "facts.record",
        detail=f"accepted={report.accepted} duplicates={report.duplicates} "
        f"conflicts={len(report.conflicts)} persons={len(causes)}" + (" deferred" if defer else ""),
        outcome="ok" if not report.conflicts else "partial",
    )
    return report


def _founded(uow: UnitOfWork, fresh: list[Fresh], refused: list[RecordError]) -> list[Fresh]:
    """The fresh facts without the corrections that have no footing in the person's facts (S6).

    A retraction must name a fact of the same person; a green designation must come with its end.
    Only persons with such facts have their facts read back, since that means opening them.
    """
    correcting = {fact.person.key for fact, _, _ in fresh if needs_footing(fact)}
    if not correcting:
        return fresh
    on_file = _facts_of(uow, correcting)
    for fact, _, _ in fresh:
        if fact.person.key in correcting:
            on_file[fact.person.key].append(fact)
    kept: list[Fresh] = []
    for fact, content, location in fresh:
        problem = (
            correction_problem(fact, on_file[fact.person.key]) if needs_footing(fact) else None
        )
        if problem is None:
            kept.append((fact, content, location))
        else:
            refused.append(RecordError(location, fact.event_id, *problem))
    return kept


def _facts_of(uow: UnitOfWork, keys: set[PersonKey]) -> dict[PersonKey, list[Fact]]:
    ids = uow.people.ids_for(keys)
    stored = uow.facts.of_persons(ids.values())
    return {key: list(stored.get(ids[key], [])) if key in ids else [] for key in keys}


def _person_ids(uow: UnitOfWork, facts: Sequence[Fact]) -> dict[PersonKey, str]:
    """Stored ids for everyone the facts are about; persons seen for the first time are added."""
    first_seen = {fact.person.key: fact.person for fact in reversed(facts)}
    ids = uow.people.ids_for(first_seen)
    new = [person for key, person in first_seen.items() if key not in ids]
    # One write for all of them (COPY on PostgreSQL): an INSERT a person was a quarter of an import.
    ids.update(zip((p.key for p in new), uow.people.add_many(new, uow.now), strict=True))
    return ids

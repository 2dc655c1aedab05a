"""Recording department facts (S5): idempotent, conflict-checked, re-evaluating who they touch.

Corrections (S6) are checked against the person's facts: a retraction naming no fact of theirs, or
a green designation without its end, is refused like a conflict, located, and the rest is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from healthcode.db.facts_store import NewFact
from healthcode.domain.corrections import correction_problem
from healthcode.domain.facts import Fact
from healthcode.exchange import RecordError
from healthcode.services.evaluation import Reevaluation, reevaluate
from healthcode.services.fact_batches import FactBatch, PreparedFact, prepare_facts
from healthcode.services.population_jobs import enqueue
from healthcode.services.runtime import UnitOfWork

CONFLICT = "an earlier record with this source and event_id has other content"


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
    where = (
        list(locations) if locations is not None else [f"record {i + 1}" for i in range(len(facts))]
    )
    postgres = uow.connection.dialect.name == "postgresql"  # its binary COPY (ADR 0024)
    batch = prepare_facts(uow.runtime.vault, facts, where, copy_fields=postgres)
    return record_batch(uow, batch, defer)


def record_batch(uow: UnitOfWork, batch: FactBatch, defer: bool = False) -> RecordReport:
    """`record_facts` of a batch prepared already (`services.fact_batches`, perhaps in another
    process): what is left is the database's part, a few statements for the whole batch."""
    report = RecordReport()
    known = uow.facts.known_digests((fact.source, fact.event_id) for fact in batch.facts)
    fresh: list[PreparedFact] = []
    for fact in batch.facts:
        identity = (fact.source, fact.event_id)
        earlier = known.get(identity)
        if earlier is None:
            known[identity] = fact.digest
            fresh.append(fact)
        elif earlier == fact.digest:
            report.duplicates += 1
        else:
            report.conflicts.append(RecordError(fact.location, fact.event_id, "event_id", CONFLICT))
    fresh = _founded(uow, batch, fresh, report.conflicts)
    person_ids = _person_ids(uow, batch, fresh)
    uow.facts.add(
        [
            NewFact(
                person_ids[f.person], f.source, f.event_id, f.digest, f.occurred_at,
                f.payload_sealed, f.stays, f.copy_fields,
            )
            for f in fresh
        ],
        uow.now,
    )  # fmt: skip
    report.accepted = len(fresh)
    causes = {person_ids[f.person]: f"{f.source}:{f.event_id}" for f in fresh}
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


def _founded(
    uow: UnitOfWork, batch: FactBatch, fresh: list[PreparedFact], refused: list[RecordError]
) -> list[PreparedFact]:
    """The fresh facts without the corrections that have no footing in the person's facts (S6).

    A retraction must name a fact of the same person; a green designation must come with its end.
    Only persons with such facts have their facts read back, since that means opening them.
    """
    correcting = {batch.persons[f.person].id_index for f in fresh if f.footing}
    if not correcting:
        return fresh
    on_file = _facts_of(uow, correcting)
    for f in fresh:
        if batch.persons[f.person].id_index in correcting:
            on_file[batch.persons[f.person].id_index].append(_kept_fact(f))
    kept: list[PreparedFact] = []
    for f in fresh:
        index = batch.persons[f.person].id_index
        problem = correction_problem(_kept_fact(f), on_file[index]) if f.footing else None
        if problem is None:
            kept.append(f)
        else:
            refused.append(RecordError(f.location, f.event_id, *problem))
    return kept


def _kept_fact(prepared: PreparedFact) -> Fact:
    # `prepare_facts` keeps the fact of every record whose person has a correction in the batch.
    if prepared.fact is None:  # pragma: no cover - a broken batch, not bad input
        raise ValueError(f"{prepared.location}: the batch did not keep this correction's fact")
    return prepared.fact


def _facts_of(uow: UnitOfWork, indexes: set[bytes]) -> dict[bytes, list[Fact]]:
    ids = uow.people.ids_of_indexes(indexes)
    stored = uow.facts.of_persons(ids.values())
    return {index: list(stored.get(ids[index], [])) if index in ids else [] for index in indexes}


def _person_ids(uow: UnitOfWork, batch: FactBatch, fresh: Sequence[PreparedFact]) -> dict[int, str]:
    """Stored ids for the prepared persons of the fresh facts (`PreparedFact.person` to id);
    persons seen for the first time are added, with the details of their first fresh fact."""
    first_seen: dict[bytes, int] = {}
    for f in fresh:
        first_seen.setdefault(batch.persons[f.person].id_index, f.person)
    ids_by_index = uow.people.ids_of_indexes(first_seen)
    new = [person for index, person in first_seen.items() if index not in ids_by_index]
    # One write for all of them (COPY on PostgreSQL): an INSERT a person was a quarter of an import.
    added = uow.people.add_indexed(
        [(batch.persons[person].person, batch.persons[person].id_index) for person in new], uow.now
    )
    ids_by_index.update(zip((batch.persons[p].id_index for p in new), added, strict=True))
    return {f.person: ids_by_index[batch.persons[f.person].id_index] for f in fresh}

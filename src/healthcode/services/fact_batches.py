"""Facts made ready to store without a database: validated, digested, sealed (ADR 0014).

Most of what a batch of facts costs in Python before it meets the database is done here: reading
and validating each record (`parse_fact`), its keyed content digest, its sealed payload (one data
key for the batch, ADR 0011), a trip's region indexes, and the blind index of every person the
batch names (the writer seals and adds those not on record: most are, and sealing a person's
fields under an id is work wasted on them). It needs only the
keys, so an import runs it in worker processes (`prepared_batches`) while one writer stores the
batches in file order (`services.facts.record_batch`); a single fact (the API, an appeal) runs it
in the request's own process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import NamedTuple

from healthcode.db.facts_store import (
    fact_content,
    fact_copy_fields,
    region_indexes,
    sealed_payload,
)
from healthcode.db.people import person_index
from healthcode.db.writes import chunks
from healthcode.domain.corrections import needs_footing
from healthcode.domain.facts import Fact, Person, Trip
from healthcode.exchange import (
    InputUnusable,
    InvalidRecordError,
    RawLine,
    RawRecord,
    RecordError,
    decode_line,
    parse_fact,
)
from healthcode.security.keyring import load_keyring
from healthcode.security.vault import Vault

Item = RawLine | RawRecord | RecordError
"""What the reader gives for one record: a line still to decode, a decoded record, or an error."""

AHEAD = 2
"""Batches prepared ahead of the writer per worker: enough to keep the workers busy while the
writer waits on the database, few enough that memory holds a handful of batches."""


class PreparedFact(NamedTuple):
    """One valid fact of a batch, ready to store once its person's id is known.

    A tuple rather than a dataclass: a batch of them crosses from a worker to the writer by
    pickle, which is several times faster for tuples.
    """

    location: str
    source: str
    event_id: str
    digest: bytes
    person: int  # its person's place in `FactBatch.persons`
    occurred_at: datetime
    payload_sealed: bytes
    stays: tuple[bytes, ...]
    footing: bool  # a correction, checked against the person's facts before it is kept (S6)
    fact: Fact | None  # kept only when its person has a correction in the batch
    # Its row for PostgreSQL's COPY but the writer's two columns (ADR 0024); None for SQLite.
    copy_fields: bytes | None


class PreparedPerson(NamedTuple):
    id_index: bytes  # `persons.id_index`
    person: Person  # sealed and stored by the writer only if nobody has `id_index` yet


@dataclass(slots=True)
class FactBatch:
    facts: list[PreparedFact] = field(default_factory=list)
    persons: list[PreparedPerson] = field(default_factory=list)  # one a distinct `Person`
    rejected: list[RecordError] = field(default_factory=list)  # in input order


def prepare_facts(
    vault: Vault,
    facts: Sequence[Fact],
    locations: Sequence[str],
    batch: FactBatch | None = None,
    *,
    copy_fields: bool = False,
) -> FactBatch:
    """`facts` (found at `locations`) as a batch ready for `record_batch`; with `copy_fields`
    (for PostgreSQL), each fact's COPY fields made here too."""
    batch = batch if batch is not None else FactBatch()
    sealer = vault.sealer()
    person_of: dict[Person, int] = {}
    # The persons whose facts must be at hand to check a correction, as stored and in the batch.
    correcting = {fact.person.key for fact in facts if needs_footing(fact)}
    for fact, location in zip(facts, locations, strict=True):
        person = person_of.get(fact.person)
        if person is None:
            # Each distinct spelling of a person's contact details gets its row, so that a new
            # person is stored with the details of their first fact the writer keeps.
            person = person_of[fact.person] = len(batch.persons)
            batch.persons.append(PreparedPerson(person_index(vault, fact.person.key), fact.person))
        content = fact_content(vault, fact)
        payload = fact.payload
        sealed = sealed_payload(sealer, fact, content)
        source = fact.source.value
        batch.facts.append(
            PreparedFact(
                location,
                source,
                fact.event_id,
                content.digest,
                person,
                fact.occurred_at,
                sealed,
                region_indexes(vault, payload.region) if isinstance(payload, Trip) else (),
                needs_footing(fact),
                fact if fact.person.key in correcting else None,
                fact_copy_fields(source, fact.event_id, content.digest, fact.occurred_at, sealed)
                if copy_fields
                else None,
            )
        )
    return batch


def parse_and_prepare(vault: Vault, items: Iterable[Item], copy_fields: bool = False) -> FactBatch:
    """Decode and validate each item, and prepare the valid facts; the rest are `rejected`,
    located, in input order, with the reasons and formats `read_facts` gives."""
    batch = FactBatch()
    facts: list[Fact] = []
    locations: list[str] = []
    for item in items:
        record = decode_line(item) if isinstance(item, RawLine) else item
        if isinstance(record, RecordError):
            batch.rejected.append(record)
            continue
        try:
            facts.append(parse_fact(record.fields, record.location))
        except InvalidRecordError as invalid:
            batch.rejected.append(invalid.error)
            continue
        locations.append(record.location)
    return prepare_facts(vault, facts, locations, batch, copy_fields=copy_fields)


def default_workers() -> int:
    """One worker process a core this process may run on, from four cores up; none below.

    With two cores the workers, the writer and its database server compete for them, and the
    import measured slower with two workers than with none (bench/README.md, "the events import
    against a bare COPY"); the workers pay off only where cores would otherwise idle.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) if (cores or 1) >= MIN_CORES_FOR_WORKERS else 0


MIN_CORES_FOR_WORKERS = 4


class Workers(NamedTuple):
    """A pool of worker processes (`worker_pool`) and how many it has."""

    pool: Pool
    processes: int


def prepared_batches(
    items: Iterable[Item],
    size: int,
    vault: Vault,
    workers: Workers | None,
    copy_fields: bool = False,
) -> Iterator[FactBatch]:
    """The items in batches of `size`, prepared, in input order (`copy_fields`: for PostgreSQL).

    With `workers` (`worker_pool`), the batches are prepared by its processes, at most `AHEAD` a
    worker in flight; without, here with `vault`, one after the other. An InputUnusable from the
    reader is raised after the batches before it.
    """
    batches = chunks(items, size)
    if workers is None:
        for chunk in batches:
            yield parse_and_prepare(vault, chunk, copy_fields)
        return
    pool, ahead = workers.pool, AHEAD * workers.processes
    pending: deque[AsyncResult[FactBatch]] = deque()
    try:
        for chunk in batches:
            pending.append(pool.apply_async(_prepare_in_worker, (chunk, copy_fields)))
            if len(pending) >= ahead:
                yield pending.popleft().get()
    except InputUnusable:
        while pending:  # what was read before it is imported all the same
            yield pending.popleft().get()
        raise
    while pending:
        yield pending.popleft().get()


@contextmanager
def worker_pool(workers: int, keys_dir: Path) -> Iterator[Workers | None]:
    """`workers` processes for `prepared_batches`, each with the keyring of `keys_dir`; None
    for 0. Start it before any thread (a progress bar's): a forked process gets only the
    forking thread, and a lock another thread held stays held in it."""
    if workers < 1:
        yield None
        return
    # fork where there is one: a forked worker has the modules loaded already, so it starts in
    # milliseconds; spawn (macOS, Windows) imports them anew.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with context.Pool(workers, initializer=_start_worker, initargs=(keys_dir,)) as pool:
        yield Workers(pool, workers)


_worker_vault: Vault | None = None


def _start_worker(keys_dir: Path) -> None:
    global _worker_vault  # noqa: PLW0603 - one vault for the life of a worker process
    _worker_vault = Vault(load_keyring(keys_dir))


def _prepare_in_worker(items: list[Item], copy_fields: bool) -> FactBatch:
    if _worker_vault is None:  # pragma: no cover - the pool's initializer sets it
        raise RuntimeError("worker started without its keys")
    return parse_and_prepare(_worker_vault, items, copy_fields)

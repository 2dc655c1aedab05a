"""Population jobs: re-evaluating many persons in the background, by partitions, with progress.

A ruleset coming into force re-evaluates everyone; an area change, a severe designation or a bulk
import re-evaluates the persons queued for it (`evaluation_queue`). Either way the work is a job
split into partitions, each a range of persons' buckets (db/buckets.py), so that:

- any number of workers can share a job: a worker claims a partition with one conditional UPDATE
  and a lease (`claim`), renews the lease with every page, and loses nothing if it dies: once the
  lease runs out, the partition is open again (`open_partitions`) and another worker takes it;
- each page of persons is one transaction that re-evaluates them (services/evaluation.py), moves
  the partition's cursor (everyone) or deletes their queue rows (queue), so a rerun redoes only
  what is left and never a page that committed;
- the partition is marked done in the transaction of its last page, and the job finished in the
  transaction of its last partition; progress is the partitions' counts added up.

The embedded default (SQLite, one process) runs partitions in-process (`run_open_partitions`);
with a broker (tasks/, ADR 0012) the round sends `open_partitions` to workers that call
`run_partition`.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from healthcode.db.buckets import BUCKETS
from healthcode.db.jobs_store import DONE, EVERYONE, QUEUE, StoredJob, StoredPartition
from healthcode.services.evaluation import Reevaluation, reevaluate
from healthcode.services.runtime import Runtime, UnitOfWork, system_actor

# At most 64 partitions a job: enough for a few dozen workers to share one job, while a partition
# of a 65 M population (16 buckets, about 1 M persons) is still a unit that finishes in minutes
# and whose loss to a crash costs little. 64 divides BUCKETS, so every partition is 16 buckets.
PARTITIONS: Final = 64
# Persons a page (a transaction): large enough that per-transaction costs (the audit chain, the
# lease renewal, a commit's fsync) and the columnar engine's fixed cost per call (tens of ms) are
# small next to the work, small enough to keep locks short (well under a second a page of
# unchanged codes) and memory bounded (a page's facts and frames: tens of MB). Measured
# (bench/README.md, ADR 0025): 5,000 a page re-evaluate 1.2-1.7x as fast as 1,000.
PAGE: Final = 5000
# Persons a partition is sized for when a job starts (`bucket_ranges`): small jobs still get
# several partitions for several workers to share, whatever the page.
PARTITION_PERSONS: Final = 1000
# A page takes seconds; a lease of two minutes, renewed every page, is lost only by a worker that
# died or hangs, and then its partition is taken over within two minutes.
LEASE: Final = timedelta(minutes=2)
# Queued rows no job has taken (an import that died between its last batch and its job) are taken
# by the scheduled round once nothing was queued for this long: a running import queues a batch
# every few seconds, so its rows are never taken from under it.
ORPHANED_AFTER: Final = timedelta(minutes=5)
WAIT_FOR_OTHERS: Final = 0.5  # seconds between looks at partitions that other workers hold


class JobKind(StrEnum):
    RULESET = "ruleset"  # a version came into force: everyone
    AREA = "area"  # a risk area changed: the persons who stayed there
    SEVERE = "severe"  # a severe designation changed: likewise
    IMPORT = "import"  # a bulk import's touched persons, once each
    QUEUE = "queue"  # queued persons no job took (an import that died before its job)


@dataclass(frozen=True, slots=True)
class PartitionRef:
    job_id: int
    partition: int


class PartitionOutcome(StrEnum):
    DONE = "done"  # this call did the partition's work and marked it done
    ALREADY_DONE = "already_done"  # someone finished it before: nothing was done
    CLAIMED = "claimed"  # another worker holds an unexpired lease: nothing was done


@dataclass(frozen=True, slots=True)
class JobProgress:
    job_id: int
    kind: str
    label: str
    partitions: int
    partitions_done: int
    persons: int  # to re-evaluate, counted when the job started
    evaluated: int
    changed: int
    created_at: datetime
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    def as_json(self) -> dict[str, Any]:
        return {
            "job": self.job_id,
            "kind": self.kind,
            "partitions": self.partitions,
            "partitions_done": self.partitions_done,
            "persons": self.persons,
            "evaluated": self.evaluated,
            "changed": self.changed,
            "finished": self.finished,
        }


ProgressCallback = Callable[[JobProgress], None]


def worker_name(role: str) -> str:
    """A name no other running worker has: what holds a lease (host, process, thread)."""
    return f"{role}:{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:128]


# --- starting jobs ---


def start_everyone(
    uow: UnitOfWork, kind: JobKind, label: str, partitions: int | None = None
) -> int:
    """A job that re-evaluates every stored person (a ruleset came into force).

    `partitions` (a power of two up to PARTITIONS) overrides the count sized by the population.
    """
    persons = uow.jobs.count_persons()
    ranges = bucket_ranges(persons, partitions)
    job_id = uow.jobs.add_job(kind, EVERYONE, label, ranges, uow.actor.name, uow.now)
    uow.jobs.set_persons(job_id, persons)
    _audit_start(uow, job_id, kind, label, persons)
    return job_id


def enqueue(uow: UnitOfWork, causes: Mapping[str, str | None], cause: str) -> None:
    """Queue persons for the next job over the queue, in the caller's transaction."""
    uow.jobs.enqueue(causes, cause, None, uow.now)


def start_queued(
    uow: UnitOfWork,
    kind: JobKind,
    label: str,
    causes: Mapping[str, str | None] | None = None,
    cause: str | None = None,
    partitions: int | None = None,
) -> int | None:
    """A job over queued persons: `causes` (queued for it now, with `cause`), or else every row
    queued so far that no job has. None when there is nobody to re-evaluate."""
    if causes is not None and not causes:
        return None
    if causes is None and not uow.jobs.unassigned_exist():
        return None
    # The partition count follows the size; the rows are given to the job before it is sized.
    job_id = uow.jobs.add_job(kind, QUEUE, label, [], uow.actor.name, uow.now)
    if causes is not None:
        uow.jobs.enqueue(causes, cause or kind.value, job_id, uow.now)
    else:
        uow.jobs.adopt_unassigned(job_id)
    persons = uow.jobs.queued_persons(job_id)
    uow.jobs.add_partitions(job_id, bucket_ranges(persons, partitions))
    uow.jobs.set_persons(job_id, persons)
    _audit_start(uow, job_id, kind, label, persons)
    return job_id


def adopt_orphans(uow: UnitOfWork) -> int | None:
    """A job over rows queued long enough ago that whoever queued them has gone (see above)."""
    newest = uow.jobs.newest_unassigned()
    if newest is None or newest > uow.now - ORPHANED_AFTER:
        return None
    return start_queued(uow, JobKind.QUEUE, "unassigned")


def bucket_ranges(persons: int, partitions: int | None = None) -> list[tuple[int, int]]:
    """Enough partitions for about PARTITION_PERSONS each, a power of two up to PARTITIONS,
    never fewer than one: a job over three persons is one partition, not 64 empty ones."""
    count = 1
    while count < PARTITIONS and count * PARTITION_PERSONS < persons:
        count *= 2
    if partitions is not None:
        if partitions < 1 or partitions > PARTITIONS or BUCKETS % partitions:
            raise ValueError(f"partitions must be a power of two from 1 to {PARTITIONS}")
        count = partitions
    width = BUCKETS // count
    return [(n * width, (n + 1) * width - 1) for n in range(count)]


def _audit_start(uow: UnitOfWork, job_id: int, kind: str, label: str, persons: int) -> None:
    uow.audit(
        "population_job.start", f"job:{job_id}", detail=f"kind={kind} label={label} {persons=}"
    )


# --- running partitions ---


def open_partitions(uow: UnitOfWork, now: datetime | None = None) -> list[PartitionRef]:
    """Not done, and not leased (or the lease ran out): what a dispatcher should (re)send."""
    at = uow.now if now is None else now
    return [PartitionRef(job, number) for job, number in uow.jobs.open_partitions(at)]


def run_partition(
    runtime: Runtime,
    ref: PartitionRef,
    worker: str,
    on_page: Callable[[int], None] | None = None,
    page: int = PAGE,
) -> PartitionOutcome:
    """Claim the partition, re-evaluate its persons a page a transaction, and mark it done with
    the last page. `on_page(job_id)` is called after each committed page (progress bars)."""
    actor = system_actor("population_job")
    with runtime.unit_of_work(actor) as uow:
        if not uow.jobs.claim(ref.job_id, ref.partition, worker, uow.now, uow.now + LEASE):
            stored = uow.jobs.partition(ref.job_id, ref.partition)
            if stored is None:
                raise LookupError(f"no partition {ref.partition} of job {ref.job_id}")
            done = stored.status == DONE
            return PartitionOutcome.ALREADY_DONE if done else PartitionOutcome.CLAIMED
    while True:
        with runtime.unit_of_work(actor) as uow:
            part = uow.jobs.renew(ref.job_id, ref.partition, worker, uow.now + LEASE)
            if part is None:  # the lease ran out and another worker took the partition over
                return PartitionOutcome.CLAIMED
            job = uow.jobs.job(ref.job_id)
            if job is None:
                raise LookupError(f"no job {ref.job_id}")
            last = _page(uow, job, part, page)
            if last:
                _done(uow, job, part, worker)
        if on_page is not None:
            on_page(ref.job_id)
        if last:
            return PartitionOutcome.DONE


def _page(uow: UnitOfWork, job: StoredJob, part: StoredPartition, size: int) -> bool:
    """Re-evaluate the partition's next page; whether it was the last."""
    if job.scope == EVERYONE:
        page = uow.jobs.everyone_page(part, size)
        everyone: dict[str, str | None] = dict.fromkeys((p for _, p in page), job.label)
        result = reevaluate(uow, everyone, cause=job.kind, refresh_snapshots=True)
        uow.jobs.advance(part, result.evaluated, result.changed, page[-1] if page else None, None)
        return len(page) < size
    queued = uow.jobs.queue_page(part, size)
    by_cause: dict[str, dict[str, str | None]] = {}
    for row in queued:
        by_cause.setdefault(row.cause, {})[row.person_id] = row.cause_ref
    total = Reevaluation()
    for cause, causes in by_cause.items():
        result = reevaluate(uow, causes, cause=cause, refresh_snapshots=True)
        total.evaluated += result.evaluated
        total.changed += result.changed
    # In the same transaction as the re-evaluation: a crash keeps both the rows and the old codes.
    uow.jobs.dequeue(queued)
    uow.jobs.advance(part, total.evaluated, total.changed, None, None)
    return len(queued) < size


def _done(uow: UnitOfWork, job: StoredJob, part: StoredPartition, worker: str) -> None:
    uow.jobs.advance(part, 0, 0, None, uow.now)
    stored = uow.jobs.partition(part.job_id, part.partition)
    assert stored is not None  # noqa: S101 - updated just now, in this transaction
    uow.audit(
        "population_job.partition",
        f"job:{job.id}/{part.partition}",
        detail=f"evaluated={stored.evaluated} changed={stored.changed} worker={worker}",
    )
    # Locks the job's row first: of two workers finishing its last two partitions at once, the
    # second to get the lock sees the first's partition done, so one of them finishes the job.
    uow.jobs.job(job.id, for_update=True)
    tally = uow.jobs.tally(job.id)
    if tally.done == tally.partitions:  # audited by the entry of its last partition, above
        uow.jobs.finish(job.id, uow.now)


def job_progress(uow: UnitOfWork, job_id: int) -> JobProgress:
    job = uow.jobs.job(job_id)
    if job is None:
        raise LookupError(f"no job {job_id}")
    tally = uow.jobs.tally(job_id)
    return JobProgress(
        job.id,
        job.kind,
        job.label,
        tally.partitions,
        tally.done,
        job.persons,
        tally.evaluated,
        tally.changed,
        job.created_at,
        job.finished_at,
    )


def run_open_partitions(
    runtime: Runtime,
    worker: str,
    on_progress: ProgressCallback | None = None,
    page: int = PAGE,
) -> int:
    """Run every open partition in this process, until none is left; how many this call did."""
    ran = 0
    on_page = None if on_progress is None else _reporter(runtime, on_progress)
    while True:
        with runtime.unit_of_work(system_actor("population_job")) as uow:
            refs = open_partitions(uow)
        if not refs:
            return ran
        for ref in refs:
            if run_partition(runtime, ref, worker, on_page, page) is PartitionOutcome.DONE:
                ran += 1


def run_job(
    runtime: Runtime, job_id: int, worker: str, on_progress: ProgressCallback | None = None
) -> JobProgress:
    """Run open partitions here until the job is finished, waiting for any another worker holds
    (it finishes them, or its lease runs out and this process takes them over)."""
    while True:
        run_open_partitions(runtime, worker, on_progress)
        with runtime.unit_of_work(system_actor("population_job")) as uow:
            progress = job_progress(uow, job_id)
        if progress.finished:
            return progress
        time.sleep(WAIT_FOR_OTHERS)


def _reporter(runtime: Runtime, on_progress: ProgressCallback) -> Callable[[int], None]:
    def report(job_id: int) -> None:
        with runtime.unit_of_work(system_actor("population_job")) as uow:
            progress = job_progress(uow, job_id)
        on_progress(progress)

    return report


def analyze_after_load(uow: UnitOfWork) -> None:
    """PostgreSQL: refresh the planner's statistics of the tables a bulk load has just filled.

    Without them (a server without autovacuum, or one whose autoanalyze has not come round yet)
    the planner keeps the row counts of the empty tables, and the job's lookups — facts of a page
    of persons, their states, the queue's next page — become scans of whole tables (bench/README.md,
    "PostgreSQL statistics"). SQLite plans without statistics here; nothing to do.
    """
    if uow.connection.dialect.name == "postgresql":
        uow.jobs.analyze(ANALYZED_AFTER_LOAD)


ANALYZED_AFTER_LOAD: Final = ("facts", "persons", "code_states", "evaluation_queue")

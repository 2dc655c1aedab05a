"""Population jobs at rest: jobs, their partitions (bucket ranges under a lease) and the queue.

Only pseudonymous ids, buckets, counts and instants are stored here; a cause reference names a
fact by its source and event id, or an area or ruleset, never anything about the person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
    update,
)

from healthcode.db.buckets import bucket_of
from healthcode.db.lookups import any_of
from healthcode.db.schema import (
    evaluation_jobs,
    evaluation_partitions,
    evaluation_queue,
    metadata,
    persons,
)
from healthcode.db.writes import insert_rows

PENDING, RUNNING, DONE = "pending", "running", "done"
EVERYONE, QUEUE = "everyone", "queue"
ESTIMATED_FROM = 1_000_000  # persons: a count of fewer is exact, and quick


@dataclass(frozen=True, slots=True)
class StoredJob:
    id: int
    kind: str
    scope: str
    label: str
    created_at: datetime
    created_by: str
    partitions: int
    persons: int
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredPartition:
    job_id: int
    partition: int
    bucket_from: int
    bucket_to: int
    status: str
    lease_until: datetime | None
    worker: str | None
    evaluated: int
    changed: int
    after_bucket: int | None
    after_person: str | None


@dataclass(frozen=True, slots=True)
class Tally:
    """The partitions of a job, added up."""

    partitions: int
    done: int
    evaluated: int
    changed: int


@dataclass(frozen=True, slots=True)
class Queued:
    person_id: str
    cause: str
    cause_ref: str | None
    rows: tuple[int, ...]  # the queue rows of this person in the partition (queued once or more)


class JobStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # --- jobs ---

    def add_job(
        self,
        kind: str,
        scope: str,
        label: str,
        ranges: Sequence[tuple[int, int]],
        created_by: str,
        now: datetime,
    ) -> int:
        """A job and its pending partitions, one per bucket range (`persons` is set after)."""
        job_id = int(
            self._connection.execute(
                insert(evaluation_jobs)
                .values(
                    kind=kind,
                    scope=scope,
                    label=label,
                    created_at=now,
                    created_by=created_by,
                    partitions=len(ranges),
                    persons=0,
                )
                .returning(evaluation_jobs.c.id)
            ).scalar_one()
        )
        self.add_partitions(job_id, ranges)
        return job_id

    def add_partitions(self, job_id: int, ranges: Sequence[tuple[int, int]]) -> None:
        if not ranges:
            return
        self._connection.execute(
            update(evaluation_jobs)
            .where(evaluation_jobs.c.id == job_id)
            .values(partitions=len(ranges))
        )
        self._connection.execute(
            insert(evaluation_partitions),
            [
                {
                    "job_id": job_id,
                    "partition": number,
                    "bucket_from": low,
                    "bucket_to": high,
                    "status": PENDING,
                    "evaluated": 0,
                    "changed": 0,
                }
                for number, (low, high) in enumerate(ranges)
            ],
        )

    def set_persons(self, job_id: int, count: int) -> None:
        self._connection.execute(
            update(evaluation_jobs).where(evaluation_jobs.c.id == job_id).values(persons=count)
        )

    def job(self, job_id: int, for_update: bool = False) -> StoredJob | None:
        query = select(evaluation_jobs).where(evaluation_jobs.c.id == job_id)
        if for_update:
            # PostgreSQL: serialises the "was that the last partition?" check. NO KEY UPDATE, since
            # the partitions' foreign key checks hold KEY SHARE on this row, which FOR UPDATE
            # would wait for (two finishing workers would deadlock on each other).
            query = query.with_for_update(key_share=True)
        row = self._connection.execute(query).one_or_none()
        return None if row is None else _job(row)

    def latest_job(self, kind: str, label: str) -> StoredJob | None:
        row = self._connection.execute(
            select(evaluation_jobs)
            .where((evaluation_jobs.c.kind == kind) & (evaluation_jobs.c.label == label))
            .order_by(evaluation_jobs.c.id.desc())
            .limit(1)
        ).one_or_none()
        return None if row is None else _job(row)

    def latest_jobs(self, kinds: Sequence[str], limit: int) -> list[StoredJob]:
        """The newest jobs of these kinds, newest first."""
        rows = self._connection.execute(
            select(evaluation_jobs)
            .where(evaluation_jobs.c.kind.in_(list(kinds)))
            .order_by(evaluation_jobs.c.id.desc())
            .limit(limit)
        )
        return [_job(row) for row in rows]

    def unfinished_jobs(self) -> list[StoredJob]:
        rows = self._connection.execute(
            select(evaluation_jobs)
            .where(evaluation_jobs.c.finished_at.is_(None))
            .order_by(evaluation_jobs.c.id)
        )
        return [_job(row) for row in rows]

    def finish(self, job_id: int, now: datetime) -> None:
        self._connection.execute(
            update(evaluation_jobs)
            .where((evaluation_jobs.c.id == job_id) & evaluation_jobs.c.finished_at.is_(None))
            .values(finished_at=now)
        )

    def tally(self, job_id: int) -> Tally:
        parts = evaluation_partitions.c
        row = self._connection.execute(
            select(
                func.count(),
                func.count().filter(parts.status == DONE),
                func.coalesce(func.sum(parts.evaluated), 0),
                func.coalesce(func.sum(parts.changed), 0),
            ).where(parts.job_id == job_id)
        ).one()
        return Tally(int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    # --- partitions ---

    def open_partitions(self, now: datetime) -> list[tuple[int, int]]:
        parts = evaluation_partitions.c
        rows = self._connection.execute(
            select(parts.job_id, parts.partition)
            .where(_claimable(now))
            .order_by(parts.job_id, parts.partition)
        )
        return [(row.job_id, row.partition) for row in rows]

    def claim(
        self, job_id: int, partition: int, worker: str, now: datetime, lease_until: datetime
    ) -> bool:
        """Take the partition if it is pending or its lease ran out: one UPDATE, so two workers
        never both get it (PostgreSQL re-checks the condition on the row the first one wrote)."""
        parts = evaluation_partitions.c
        result = self._connection.execute(
            update(evaluation_partitions)
            .where((parts.job_id == job_id) & (parts.partition == partition) & _claimable(now))
            .values(
                status=RUNNING,
                worker=worker,
                lease_until=lease_until,
                started_at=func.coalesce(parts.started_at, now),
            )
        )
        return result.rowcount == 1

    def renew(
        self, job_id: int, partition: int, worker: str, lease_until: datetime
    ) -> StoredPartition | None:
        """Extend this worker's lease; None when the partition is no longer this worker's."""
        parts = evaluation_partitions.c
        held = (
            (parts.job_id == job_id)
            & (parts.partition == partition)
            & (parts.status == RUNNING)
            & (parts.worker == worker)
        )
        result = self._connection.execute(
            update(evaluation_partitions).where(held).values(lease_until=lease_until)
        )
        return self.partition(job_id, partition) if result.rowcount == 1 else None

    def partition(self, job_id: int, partition: int) -> StoredPartition | None:
        parts = evaluation_partitions.c
        row = self._connection.execute(
            select(evaluation_partitions).where(
                (parts.job_id == job_id) & (parts.partition == partition)
            )
        ).one_or_none()
        return None if row is None else _partition(row)

    def advance(
        self,
        part: StoredPartition,
        evaluated: int,
        changed: int,
        cursor: tuple[int, str] | None,
        done_at: datetime | None,
    ) -> None:
        """Add a page's counts and move the cursor; with `done_at`, the partition is done."""
        parts = evaluation_partitions.c
        values: dict[str, Any] = {
            "evaluated": parts.evaluated + evaluated,
            "changed": parts.changed + changed,
        }
        if cursor is not None:
            values |= {"after_bucket": cursor[0], "after_person": cursor[1]}
        if done_at is not None:
            values |= {"status": DONE, "finished_at": done_at, "lease_until": None}
        self._connection.execute(
            update(evaluation_partitions)
            .where((parts.job_id == part.job_id) & (parts.partition == part.partition))
            .values(values)
        )

    # --- the persons of a partition ---

    def everyone_page(self, part: StoredPartition, limit: int) -> list[tuple[int, str]]:
        """The next persons of the partition's bucket range after its cursor, (bucket, id) order."""
        query = (
            select(persons.c.bucket, persons.c.id)
            .where(persons.c.bucket.between(part.bucket_from, part.bucket_to))
            .order_by(persons.c.bucket, persons.c.id)
            .limit(limit)
        )
        if part.after_bucket is not None and part.after_person is not None:
            cursor = tuple_(persons.c.bucket, persons.c.id)
            query = query.where(cursor > tuple_(part.after_bucket, part.after_person))
        return [(row.bucket, row.id) for row in self._connection.execute(query)]

    def count_persons(self) -> int:
        """How many persons are stored; on PostgreSQL, beyond a million, the planner's estimate.

        Counting 65 M rows exactly reads the whole table (seconds) inside the transaction that
        starts an activation, which the approval answers from; the estimate (kept by ANALYZE and
        autovacuum) is enough to size partitions and a progress bar.
        """
        if self._connection.dialect.name == "postgresql":
            estimate = self._connection.scalar(
                text("SELECT reltuples FROM pg_class WHERE oid = 'persons'::regclass")
            )
            if estimate is not None and estimate >= ESTIMATED_FROM:
                return int(estimate)
        return int(self._connection.scalar(select(func.count()).select_from(persons)) or 0)

    def queue_page(self, part: StoredPartition, limit: int) -> list[Queued]:
        """The next distinct persons queued for the partition (each with its latest cause)."""
        queue = evaluation_queue.c
        mine = (queue.job_id == part.job_id) & queue.bucket.between(
            part.bucket_from, part.bucket_to
        )
        page = list(
            self._connection.execute(
                select(queue.person_id)
                .where(mine)
                .group_by(queue.bucket, queue.person_id)
                .order_by(queue.bucket, queue.person_id)
                .limit(limit)
            ).scalars()
        )
        latest: dict[str, Queued] = {}
        for condition in any_of(self._connection, evaluation_queue.c.person_id, page):
            rows = self._connection.execute(
                select(queue.id, queue.person_id, queue.cause, queue.cause_ref)
                .where(mine & condition)
                .order_by(queue.id)
            )
            for row in rows:
                earlier = latest.get(row.person_id)
                ids = (row.id,) if earlier is None else (*earlier.rows, row.id)
                latest[row.person_id] = Queued(row.person_id, row.cause, row.cause_ref, ids)
        return [latest[person_id] for person_id in page]

    def dequeue(self, queued: Sequence[Queued]) -> None:
        """Delete the rows of a page by their keys: `person_id IN (…)` alone is not in the
        queue's index (it leads with the job and the bucket), and on PostgreSQL it made each page
        read all of its job's rows."""
        ids = [row_id for item in queued for row_id in item.rows]
        for condition in any_of(self._connection, evaluation_queue.c.id, ids):
            self._connection.execute(delete(evaluation_queue).where(condition))

    # --- the queue ---

    def enqueue(
        self, causes: Mapping[str, str | None], cause: str, job_id: int | None, now: datetime
    ) -> None:
        rows = [
            {
                "person_id": person_id,
                "job_id": job_id,
                "bucket": bucket_of(person_id),
                "cause": cause,
                "cause_ref": cause_ref,
                "enqueued_at": now,
            }
            for person_id, cause_ref in causes.items()
        ]
        # One write (COPY on PostgreSQL): the queue has no unique key to collide with, and an
        # executemany was a seventh of an import's batches (bench/README.md, "Bulk writes").
        insert_rows(self._connection, evaluation_queue, rows)

    def adopt_unassigned(self, job_id: int) -> int:
        """Give the job every queued row no job has yet; how many rows that was."""
        result = self._connection.execute(
            update(evaluation_queue)
            .where(evaluation_queue.c.job_id.is_(None))
            .values(job_id=job_id)
        )
        return int(result.rowcount)

    def queued_persons(self, job_id: int) -> int:
        queue = evaluation_queue.c
        distinct = select(queue.person_id).where(queue.job_id == job_id).distinct().subquery()
        return int(self._connection.scalar(select(func.count()).select_from(distinct)) or 0)

    def newest_unassigned(self) -> datetime | None:
        queue = evaluation_queue.c
        newest: datetime | None = self._connection.scalar(
            select(func.max(queue.enqueued_at)).where(queue.job_id.is_(None))
        )
        return newest

    def analyze(self, tables: Sequence[str]) -> None:
        """ANALYZE (PostgreSQL) the named tables of this schema."""
        for name in tables:
            table = metadata.tables[name]  # only a table of the schema is ever named here
            self._connection.execute(text(f"ANALYZE {table.name}"))

    def unassigned_exist(self) -> bool:
        queue = evaluation_queue.c
        return (
            self._connection.execute(
                select(queue.id).where(queue.job_id.is_(None)).limit(1)
            ).first()
            is not None
        )


def _claimable(now: datetime) -> Any:
    parts = evaluation_partitions.c
    return or_(
        parts.status == PENDING,
        and_(parts.status == RUNNING, or_(parts.lease_until.is_(None), parts.lease_until < now)),
    )


def _job(row: Row[Any]) -> StoredJob:
    return StoredJob(
        row.id,
        row.kind,
        row.scope,
        row.label,
        row.created_at,
        row.created_by,
        row.partitions,
        row.persons,
        row.finished_at,
    )


def _partition(row: Row[Any]) -> StoredPartition:
    return StoredPartition(
        row.job_id,
        row.partition,
        row.bucket_from,
        row.bucket_to,
        row.status,
        row.lease_until,
        row.worker,
        row.evaluated,
        row.changed,
        row.after_bucket,
        row.after_person,
    )

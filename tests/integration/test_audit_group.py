"""Reading units of work and the audit group committer (ADR 0021), on both databases.

Many requests' entries are written in one transaction: every entry is in the log once with a MAC
that verifies, sealing covers them, and a request is answered only once its entries are durable.
A batch that does not commit fails every request in it; one request's refused entry fails only
itself. A reading unit of work takes no writer lock: on SQLite it reads while another connection
holds the lock, and only its audit entries wait for it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.exc import DBAPIError

from builders import audit_report
from healthcode.db import audit
from healthcode.db.audit_group import AuditGroupCommitter, AuditNotDurableError
from healthcode.db.engine import WriterNeededError, connect
from healthcode.db.schema import audit_log, limit_counters
from healthcode.services.runtime import Actor, Runtime, UnitOfWork
from integration.test_audit_log import sealed_up_to

READER = Actor("reader", "resident", "show a health code")
THREADS = 12
UNITS_PER_THREAD = 15
ENTRIES_PER_UNIT = 2


def entries_named(runtime: Runtime, prefix: str) -> list[Any]:
    with runtime.reader.connect() as connection:  # a reader: also while the writer lock is held
        return list(
            connection.execute(
                select(audit_log.c.seq, audit_log.c.xact, audit_log.c.object)
                .where(audit_log.c.object.like(f"{prefix}%"))
                .order_by(audit_log.c.seq)
            )
        )


def in_threads(count: int, work: Callable[[int], object]) -> list[object]:
    """`work(i)` in `count` threads at once; what each returned or raised."""
    outcomes: list[object] = [None] * count
    start = threading.Barrier(count)

    def run(index: int) -> None:
        start.wait()
        try:
            outcomes[index] = work(index)
        except Exception as error:  # the test looks at what each thread got
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@contextmanager
def writes_held(engine: Engine) -> Iterator[None]:
    """Another connection holds what a batch needs to write to the audit log: SQLite's one
    writer lock (BEGIN IMMEDIATE), PostgreSQL's table lock (plain reads still go through)."""
    with engine.connect() as other, other.begin():
        if engine.dialect.name == "postgresql":
            other.execute(text("LOCK TABLE audit_log IN EXCLUSIVE MODE"))
        yield


def behind_a_stuck_batch(
    engine: Engine, group: AuditGroupCommitter, count: int, request: Callable[[int], object]
) -> list[object]:
    """`request(0)` leads a batch that cannot write yet; requests 1… queue behind it; then the
    writes are let go. What each request returned or raised."""
    outcomes: list[object] = [None] * count

    def run(index: int) -> None:
        try:
            outcomes[index] = request(index)
        except Exception as error:  # the test looks at what each one got
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    with writes_held(engine):
        threads[0].start()
        until(lambda: group.leading)
        for thread in threads[1:]:
            thread.start()
        until(lambda: group.queued == count - 1)
    for thread in threads:
        thread.join()
    return outcomes


def until(condition: Callable[[], bool]) -> None:
    """Wait for other threads to get somewhere; a bound on failure, not a measurement."""
    for _ in range(2000):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("the other threads never got there")


def test_many_threads_audit_through_the_group_every_entry_once_and_sealed__D1_D3(
    runtime: Runtime,
) -> None:
    def requests(thread: int) -> None:
        # Every third thread writes its own transactions meanwhile, numbered as before.
        begin = runtime.unit_of_work if thread % 3 == 0 else runtime.reading
        for unit in range(UNITS_PER_THREAD):
            with begin(READER) as uow:
                for entry in range(ENTRIES_PER_UNIT):
                    uow.audit("code.read", f"group:{thread}:{unit}:{entry}")

    assert in_threads(THREADS, requests) == [None] * THREADS
    total = THREADS * UNITS_PER_THREAD * ENTRIES_PER_UNIT
    rows = entries_named(runtime, "group:")
    assert len(rows) == total
    assert len({row.object for row in rows}) == total  # each once
    readers = len([thread for thread in range(THREADS) if thread % 3])
    assert runtime.audit_group.requests == readers * UNITS_PER_THREAD
    assert sealed_up_to(runtime, total).tree_size == total
    report = audit_report(runtime)
    assert report.problems == ()
    assert (report.entries, report.sealed) == (total, total)


def test_requests_that_queue_are_written_in_one_transaction__D1(runtime: Runtime) -> None:
    group = runtime.audit_group
    before = group.batches

    def request(index: int) -> None:
        with runtime.reading(READER) as uow:
            uow.audit("code.read", f"queued:{index}:a")
            uow.audit("code.read", f"queued:{index}:b")

    outcomes = behind_a_stuck_batch(runtime.engine, group, THREADS, request)
    assert outcomes == [None] * THREADS
    assert group.batches - before == 2  # the leader's, then one for all who queued
    rows = entries_named(runtime, "queued:")
    assert len(rows) == 2 * THREADS
    if runtime.engine.dialect.name == "postgresql":
        assert len({row.xact for row in rows}) == 2  # one transaction id a batch
    assert audit_report(runtime).problems == ()


def test_a_batch_that_does_not_commit_fails_every_request_and_loses_nothing_acknowledged__D1(
    runtime: Runtime,
) -> None:
    with runtime.reading(READER) as uow:
        uow.audit("code.read", "acknowledged:1")
    failing = connect(runtime.settings.database_url)

    def commit_fails(_connection: Any) -> None:
        raise RuntimeError("the disk is full")

    event.listen(failing, "commit", commit_fails)
    group = AuditGroupCommitter(failing, runtime.audit_key)
    entry = audit.AuditEntry("reader", "resident", "show a health code", "code.read")

    def request(index: int) -> None:
        group.commit([(replace(entry, object=f"lost:{index}"), now)])

    now = runtime.clock.now()
    try:
        outcomes = behind_a_stuck_batch(runtime.engine, group, 6, request)
    finally:
        failing.dispose()
    assert all(isinstance(outcome, AuditNotDurableError) for outcome in outcomes), outcomes
    assert group.batches == 0  # a commit that failed may have been applied: nothing written twice
    assert entries_named(runtime, "lost:") == []
    assert [row.object for row in entries_named(runtime, "acknowledged:")] == ["acknowledged:1"]
    assert audit_report(runtime).problems == ()


def test_an_entry_the_database_refuses_fails_only_its_own_request__D1(runtime: Runtime) -> None:
    group = runtime.audit_group
    now = runtime.clock.now()
    naive = now.replace(tzinfo=None)  # names no instant: the column refuses it

    def request(index: int) -> None:
        entry = audit.AuditEntry("reader", "resident", "test", "code.read", f"isolated:{index}")
        group.commit([(entry, naive if index == 3 else now)])

    outcomes = behind_a_stuck_batch(runtime.engine, group, 6, request)
    assert isinstance(outcomes[3], AuditNotDurableError)
    assert [outcome for index, outcome in enumerate(outcomes) if index != 3] == [None] * 5
    written = sorted(row.object for row in entries_named(runtime, "isolated:"))
    assert written == [f"isolated:{index}" for index in (0, 1, 2, 4, 5)]
    assert audit_report(runtime).problems == ()


def test_a_reading_unit_reads_while_the_writer_lock_is_held_and_audits_after__D1(
    runtime: Runtime,
) -> None:
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's one writer lock is what a reading unit of work does not take")
    read = threading.Event()
    outcome: list[object] = []

    def show() -> None:
        try:
            with runtime.reading(READER) as uow:
                uow.connection.scalar(select(func.count()).select_from(audit_log))
                uow.audit("code.read", "behind-the-lock")
                read.set()
            outcome.append("answered")
        except Exception as error:  # looked at below
            outcome.append(error)

    thread = threading.Thread(target=show)
    with writes_held(runtime.engine):
        thread.start()
        assert read.wait(20), "the reading unit of work waited for the writer lock to read"
        time.sleep(0.1)  # it is now waiting to commit its entry, not answered
        assert outcome == []
        assert entries_named(runtime, "behind-the-lock") == []
    thread.join()
    assert outcome == ["answered"]
    assert len(entries_named(runtime, "behind-the-lock")) == 1


def test_a_reading_unit_writes_nothing__D1(runtime: Runtime) -> None:
    key = b"k" * 32

    def audit_then_write() -> None:
        with runtime.reading(READER) as uow:
            uow.audit("code.read", "dropped")
            uow.limits.release(key)  # a write recognised before it is sent

    with pytest.raises(WriterNeededError):
        audit_then_write()
    assert entries_named(runtime, "dropped") == []  # the unit failed: its entry with it
    with pytest.raises(DBAPIError), runtime.reading(READER) as uow:
        uow.connection.execute(text("DELETE FROM limit_counters"))  # the database refuses it


def test_work_that_turns_out_to_write_runs_again_in_a_writing_unit__D1(runtime: Runtime) -> None:
    runs: list[bool] = []

    def work(uow: UnitOfWork) -> int:
        runs.append(uow.reading)
        uow.audit("limit.test", "read-then-write")
        return uow.limits.hit(b"w" * 32, uow.now, runtime.settings.code_validity)

    assert runtime.read_or_write(READER, work) == 1
    assert runs == [True, False]
    assert len(entries_named(runtime, "read-then-write")) == 1  # the first run's entry dropped


def test_limit_hits_counted_through_the_group_are_atomic__ADR0008(runtime: Runtime) -> None:
    key = b"c" * 32
    window = runtime.settings.code_validity

    def hits(_thread: int) -> list[int]:
        counts = []
        for _ in range(10):
            with runtime.reading(READER) as uow:
                counts.extend(uow.count_limit_hits([(key, window, 10**6)]))
        return counts

    outcomes = in_threads(8, hits)
    counts = sorted(count for each in outcomes for count in each)  # type: ignore[attr-defined]
    assert counts == list(range(1, 81))
    with runtime.engine.connect() as connection:
        stored = connection.scalar(
            select(limit_counters.c.count).where(limit_counters.c.key == key)
        )
    assert stored == 80

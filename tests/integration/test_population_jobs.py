"""Population jobs (issue #12): partitions under leases, pages of one transaction, the queue.

Real databases (SQLite and PostgreSQL). A crash is a fault on a real code path: a fact whose seal
cannot be opened makes a page fail half-way through a job, as a broken record or a dying worker
would; the rerun must finish the job without redoing a page that committed.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from builders import ManualClock, fact, march, person
from healthcode.db.schema import audit_log, code_states, evaluation_queue, facts, persons
from healthcode.domain.facts import Action, HealthMonitoring
from healthcode.services.facts import record_facts
from healthcode.services.population_jobs import (
    LEASE,
    ORPHANED_AFTER,
    JobKind,
    PartitionOutcome,
    PartitionRef,
    job_progress,
    open_partitions,
    run_job,
    run_open_partitions,
    run_partition,
    start_everyone,
    start_queued,
)
from healthcode.services.runtime import Actor, Runtime
from healthcode.services.scheduled_round import run_round

FEED = Actor("feed", "department_client", "test")
OPERATOR = Actor("tester", "system", "population_job")
POPULATION = 24


@pytest.fixture
def population(runtime: Runtime) -> list[str]:
    """Persons on file, each with one fact (their codes already evaluated once)."""
    monitoring = HealthMonitoring(Action.START)
    with runtime.unit_of_work(FEED) as uow:
        record_facts(uow, [fact(monitoring, march(10), person(n)) for n in range(POPULATION)])
    with runtime.engine.connect() as connection:
        return list(connection.execute(select(persons.c.id).order_by(persons.c.id)).scalars())


def evaluated_at(runtime: Runtime) -> Counter[object]:
    with runtime.engine.connect() as connection:
        return Counter(connection.execute(select(code_states.c.evaluated_at)).scalars())


def audited(runtime: Runtime, action: str) -> list[str]:
    with runtime.engine.connect() as connection:
        return list(
            connection.execute(
                select(audit_log.c.object).where(audit_log.c.action == action)
            ).scalars()
        )


def test_an_everyone_job_re_evaluates_each_person_once_and_finishes(
    runtime: Runtime, clock: ManualClock, population: list[str]
) -> None:
    clock.instant = march(21)
    with runtime.unit_of_work(OPERATOR) as uow:
        job = start_everyone(uow, JobKind.RULESET, "test@1", partitions=4)
        assert len(open_partitions(uow)) == 4
    seen: list[int] = []

    ran = run_open_partitions(runtime, "w1", lambda p: seen.append(p.partitions_done), page=5)

    assert ran == 4
    with runtime.unit_of_work(OPERATOR) as uow:
        progress = job_progress(uow, job)
        assert open_partitions(uow) == []
    assert (progress.partitions, progress.partitions_done) == (4, 4)
    assert (progress.persons, progress.evaluated, progress.finished_at) == (
        POPULATION,
        POPULATION,
        march(21),
    )
    assert evaluated_at(runtime) == {march(21): POPULATION}
    assert seen == sorted(seen)  # progress after every page, never backwards
    assert seen[-1] == 4
    assert sorted(audited(runtime, "population_job.partition")) == [
        f"job:{job}/{n}" for n in range(4)
    ]
    # Run again: nothing is open, nothing is done twice.
    assert run_open_partitions(runtime, "w2") == 0
    ref = PartitionRef(job, 0)
    assert run_partition(runtime, ref, "w2") is PartitionOutcome.ALREADY_DONE


def test_a_job_that_fails_mid_way_is_finished_by_a_rerun_that_redoes_nothing(
    runtime: Runtime, clock: ManualClock, population: list[str]
) -> None:
    clock.instant = march(21)
    with runtime.unit_of_work(OPERATOR) as uow:
        job = start_everyone(uow, JobKind.RULESET, "test@1", partitions=1)
    # The fault: the seventh person in the partition's order has a fact that cannot be opened.
    with runtime.engine.connect() as connection:
        order = connection.execute(
            select(persons.c.id).order_by(persons.c.bucket, persons.c.id)
        ).scalars()
        broken = list(order)[6]
    with runtime.engine.begin() as connection:
        sealed = connection.scalar(
            select(facts.c.payload_sealed).where(facts.c.person_id == broken)
        )
        connection.execute(
            update(facts).where(facts.c.person_id == broken).values(payload_sealed=b"broken")
        )

    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the vault raises for a bad seal
        run_open_partitions(runtime, "dies", page=3)

    # Two pages committed (six persons); the third rolled back. The partition is leased to the
    # worker that failed, so nobody else takes it until the lease runs out.
    assert evaluated_at(runtime)[march(21)] == 6
    with runtime.unit_of_work(OPERATOR) as uow:
        assert open_partitions(uow) == []
    assert run_partition(runtime, PartitionRef(job, 0), "other") is PartitionOutcome.CLAIMED
    with runtime.engine.begin() as connection:
        connection.execute(
            update(facts).where(facts.c.person_id == broken).values(payload_sealed=sealed)
        )
    clock.instant = march(21) + LEASE + timedelta(seconds=1)

    progress = run_job(runtime, job, "rerun")

    assert (progress.evaluated, progress.partitions_done) == (POPULATION, 1)
    assert evaluated_at(runtime) == {march(21): 6, clock.instant: POPULATION - 6}


def test_a_queue_job_re_evaluates_each_queued_person_once_and_empties_the_queue(
    runtime: Runtime, clock: ManualClock, population: list[str]
) -> None:
    clock.instant = march(21)
    touched = population[:10]
    with runtime.unit_of_work(OPERATOR) as uow:
        for ref in ("a", "b", "c"):  # queued three times each, as three batches would
            uow.jobs.enqueue(dict.fromkeys(touched, ref), "fact", None, uow.now)
        job = start_queued(uow, JobKind.IMPORT, "events.jsonl", partitions=2)
    assert job is not None

    progress = run_job(runtime, job, "w1")

    assert (progress.persons, progress.evaluated, progress.partitions) == (10, 10, 2)
    assert evaluated_at(runtime)[march(21)] == 10
    with runtime.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(evaluation_queue)) == 0
    with runtime.unit_of_work(OPERATOR) as uow:
        assert start_queued(uow, JobKind.IMPORT, "again") is None  # nothing left queued


def test_parallel_workers_never_share_a_partition(
    runtime: Runtime, clock: ManualClock, population: list[str]
) -> None:
    """Four threads, each its own connection and worker name, race for every partition."""
    clock.instant = march(21)
    with runtime.unit_of_work(OPERATOR) as uow:
        job = start_everyone(uow, JobKind.RULESET, "test@1", partitions=8)
    start = threading.Barrier(4)
    done: Counter[str] = Counter()
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            start.wait()
            done[name] += run_open_partitions(runtime, name, page=2)
        except BaseException as error:  # reported to the test below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert done.total() == 8
    with runtime.unit_of_work(OPERATOR) as uow:
        progress = job_progress(uow, job)
    assert (progress.evaluated, progress.partitions_done, progress.finished) == (
        POPULATION,
        8,
        True,
    )
    marked = audited(runtime, "population_job.partition")
    assert len(marked) == len(set(marked)) == 8
    assert evaluated_at(runtime) == {march(21): POPULATION}


def test_claims_race_on_one_partition_and_exactly_one_wins(
    runtime: Runtime, clock: ManualClock, population: list[str]
) -> None:
    """The conditional UPDATE itself, from eight connections at once, for each of 16 partitions."""
    clock.instant = march(21)
    with runtime.unit_of_work(OPERATOR) as uow:
        job = start_everyone(uow, JobKind.RULESET, "test@1", partitions=16)
    for partition in range(16):
        start = threading.Barrier(8)
        won: list[str] = []

        def claim(
            name: str,
            partition: int = partition,
            start: threading.Barrier = start,
            won: list[str] = won,
        ) -> None:
            start.wait()  # then all begin at once (SQLite: one after the other, by its lock)
            with runtime.unit_of_work(OPERATOR) as uow:
                if uow.jobs.claim(job, partition, name, uow.now, uow.now + LEASE):
                    won.append(name)

        threads = [threading.Thread(target=claim, args=(f"w{n}",)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(won) == 1


def test_persons_an_import_left_queued_are_re_evaluated_by_the_scheduled_round(
    runtime: Runtime, clock: ManualClock
) -> None:
    """An import that died between its last batch and its job: its queued persons are taken by
    the round once nothing has been queued for a while (a running import queues every batch)."""
    monitoring = HealthMonitoring(Action.START)
    with runtime.unit_of_work(FEED) as uow:
        report = record_facts(
            uow, [fact(monitoring, march(19), person(n)) for n in range(3)], defer=True
        )
    assert (report.queued, report.reevaluation.evaluated) == (3, 0)
    assert evaluated_at(runtime) == {}

    run_round(runtime)  # just queued: perhaps an import still running
    assert evaluated_at(runtime) == {}
    clock.instant = march(20) + ORPHANED_AFTER + timedelta(seconds=1)
    run_round(runtime)

    assert evaluated_at(runtime) == {clock.instant: 3}
    with runtime.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(evaluation_queue)) == 0

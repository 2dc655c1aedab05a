"""Population jobs shared by `healthcode worker` processes through Redis (issue #12, ADR 0012).

PostgreSQL only: workers in several processes is what it is for (SQLite is one process). Real
processes, the real broker on 127.0.0.1:6379, each test under a namespace of its own whose keys it
deletes afterwards (the shared Redis is never flushed). Every wait is bounded and waits for a state
(a job finished, a line in a worker's log), never for a time.

The workers' clocks are frozen (HEALTHCODE_CLOCK), so a lease can be made to have run out without
waiting: a "killed" worker is one that claimed and committed a page at an earlier instant, through
the same code a worker runs, and then died (an exception after its page, as SIGKILL would leave it).
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import func, select

from builders import ManualClock, fact, march, resident_id
from healthcode.clock import FrozenClock
from healthcode.db.engine import connect
from healthcode.db.migrate import upgrade
from healthcode.db.schema import (
    audit_log,
    code_history,
    code_states,
    evaluation_partitions,
    persons,
)
from healthcode.domain.facts import Action, HealthMonitoring, Person
from healthcode.domain.identity import IdType
from healthcode.rulesets import read_ruleset_document
from healthcode.security.keyring import init_keyring
from healthcode.services.facts import record_facts
from healthcode.services.population_jobs import (
    LEASE,
    JobKind,
    PartitionRef,
    job_progress,
    run_open_partitions,
    run_partition,
    start_everyone,
)
from healthcode.services.rulesets import approve_ruleset, draft_ruleset
from healthcode.services.runtime import Actor, Runtime, open_runtime
from healthcode.settings import Settings
from healthcode.tasks.dispatch import PartitionSender, dispatch_open_partitions
from machine_redis import REDIS_URL, require_redis

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

RULESET_FILE = Path(__file__).parents[2] / "src/healthcode/rulesets/zhejiang-2021-36.yaml"
RULESET_ID, VERSION = "zhejiang-2021-36", "1.2.0"
LABEL = f"{RULESET_ID}@{VERSION}"
NOW = march(20)  # the workers' frozen clock: the new version is in force
WAIT = 180.0  # seconds any one wait may take before the test gives up (a busy 2-core machine)

FEED = Actor("feed", "department_client", "test")
AUTHOR = Actor("alice", "rule_author", "ruleset_draft")
APPROVER = Actor("bob", "rule_approver", "ruleset_approval")
OPERATOR = Actor("tester", "system", "population_job")


@dataclass
class Installation:
    runtime: Runtime  # this test's own view, on a clock it moves
    clock: ManualClock
    env: dict[str, str]  # what a worker process is started with
    logs: Path


@pytest.fixture
def namespace() -> Iterator[str]:
    require_redis()
    client = redis.Redis.from_url(REDIS_URL)
    name = f"healthcode-test-{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        for key in client.scan_iter(match=f"{name}:*"):
            client.delete(key)
        client.close()


@pytest.fixture
def installation(tmp_path: Path, database_url: str, namespace: str) -> Iterator[Installation]:
    """Keys on disk, a migrated database, the new ruleset approved; no job yet."""
    data_dir = tmp_path / "data"
    init_keyring(data_dir / "keys", march(10))
    engine = connect(database_url)
    upgrade(engine)
    engine.dispose()
    settings = Settings(data_dir, database_url, task_broker_url=REDIS_URL, task_namespace=namespace)
    clock = ManualClock(march(10))
    runtime = open_runtime(settings, clock)
    env = os.environ | {
        "HEALTHCODE_DATA_DIR": str(data_dir),
        "HEALTHCODE_DATABASE_URL": database_url,
        "HEALTHCODE_CLOCK": NOW.isoformat(),
        "HEALTHCODE_TASK_BROKER_URL": REDIS_URL,
        "HEALTHCODE_TASK_NAMESPACE": namespace,
        "HEALTHCODE_ACTOR": "worker",
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    yield Installation(runtime, clock, env, logs)
    runtime.engine.dispose()


def resident(number: int) -> Person:
    born = date(1950, 1, 1) + timedelta(days=number // 1000)
    return Person(
        IdType.RESIDENT_ID, resident_id("330106", f"{born:%Y%m%d}", f"{number % 1000:03d}")
    )


def populate(site: Installation, count: int, approve: bool = True) -> None:
    """Persons under health monitoring since March 10th: green (flagged) under the default
    ruleset; version 1.2.0, in force from March 20th once approved, makes them yellow, so each
    one's re-evaluation under it leaves exactly one code_history row."""
    site.clock.instant = march(10)
    monitoring = HealthMonitoring(Action.START)
    for start in range(0, count, 500):
        batch = [
            fact(monitoring, march(10, 9), resident(n))
            for n in range(start, min(start + 500, count))
        ]
        with site.runtime.unit_of_work(FEED) as uow:
            record_facts(uow, batch)
    document = copy.deepcopy(read_ruleset_document(RULESET_FILE))
    monitored = next(rule for rule in document["rules"] if rule["id"] == "flag-health-monitoring")
    yellow = {key: value for key, value in monitored.items() if key != "flag"}
    document["rules"].append(yellow | {"id": "yellow-health-monitoring", "color": "yellow"})
    with site.runtime.unit_of_work(AUTHOR) as uow:
        draft_ruleset(
            uow, document | {"version": VERSION, "valid_from": "2021-03-20T00:00:00+08:00"}
        )
    if approve:
        with site.runtime.unit_of_work(APPROVER) as uow:
            approve_ruleset(uow, RULESET_ID, VERSION)
            # The version's activation is this test's job, started by hand with a partition
            # count of its choosing: the workers' rounds must not start one of their own.
            uow.rulesets.mark_activated(RULESET_ID, VERSION, uow.now)
    site.clock.instant = NOW


def start_job(site: Installation, partitions: int) -> int:
    with site.runtime.unit_of_work(OPERATOR) as uow:
        return start_everyone(uow, JobKind.RULESET, LABEL, partitions=partitions)


# --- worker processes ---


def start_worker(site: Installation, number: int) -> subprocess.Popen[bytes]:
    with (site.logs / f"worker-{number}.log").open("wb") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "healthcode", "worker", "--interval", "1"],
            env=site.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> list[int]:
    """SIGTERM, then a bounded wait for each; SIGKILL for any that did not stop."""
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    codes = []
    for worker in workers:
        try:
            codes.append(worker.wait(timeout=90))
        except subprocess.TimeoutExpired:
            worker.kill()
            codes.append(worker.wait())
    return codes


def log_lines(site: Installation, number: int) -> list[str]:
    path = site.logs / f"worker-{number}.log"
    return path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []


def logged_events(site: Installation, number: int) -> list[dict[str, Any]]:
    events = []
    for line in log_lines(site, number):
        if line.startswith("{"):
            events.append(json.loads(line))
    return events


def wait_until(
    what: str, done: Callable[[], bool], site: Installation, workers: list[subprocess.Popen[bytes]]
) -> None:
    deadline = time.monotonic() + WAIT
    while not done():
        dead = [w.pid for w in workers if w.poll() is not None]
        if dead or time.monotonic() > deadline:
            tails = {n: log_lines(site, n)[-15:] for n in range(len(workers))}
            pytest.fail(f"{what}: not so after {WAIT:.0f} s (stopped: {dead}); logs: {tails}")
        time.sleep(0.2)


def consuming(site: Installation, count: int) -> Callable[[], bool]:
    return lambda: all(
        any("taking partitions" in line for line in log_lines(site, n)) for n in range(count)
    )


def finished(site: Installation, job: int) -> Callable[[], bool]:
    def check() -> bool:
        with site.runtime.unit_of_work(OPERATOR) as uow:
            return job_progress(uow, job).finished

    return check


def activated(site: Installation) -> Callable[[], bool]:
    def check() -> bool:
        with site.runtime.unit_of_work(OPERATOR) as uow:
            return not uow.rulesets.due_for_activation(uow.now)

    return check


# --- what the database says ---


def partition_rows(site: Installation, job: int) -> list[dict[str, Any]]:
    with site.runtime.engine.connect() as connection:
        rows = connection.execute(
            select(evaluation_partitions)
            .where(evaluation_partitions.c.job_id == job)
            .order_by(evaluation_partitions.c.partition)
        )
        return [dict(row._mapping) for row in rows]


def persons_in(site: Installation, low: int, high: int) -> int:
    with site.runtime.engine.connect() as connection:
        return int(
            connection.scalar(select(func.count()).where(persons.c.bucket.between(low, high))) or 0
        )


def partition_audits(site: Installation) -> Counter[str]:
    with site.runtime.engine.connect() as connection:
        objects = connection.execute(
            select(audit_log.c.object).where(audit_log.c.action == "population_job.partition")
        ).scalars()
        return Counter(str(obj) for obj in objects)


def history_under_label(site: Installation) -> Counter[str]:
    """Code history rows the job's re-evaluation wrote, by person."""
    with site.runtime.engine.connect() as connection:
        ids = connection.execute(
            select(code_history.c.person_id).where(
                (code_history.c.cause == JobKind.RULESET.value)
                & (code_history.c.cause_ref == LABEL)
            )
        ).scalars()
        return Counter(ids)


def states_by_ruleset(site: Installation) -> Counter[str]:
    with site.runtime.engine.connect() as connection:
        return Counter(connection.execute(select(code_states.c.ruleset)).scalars())


def pid_of(worker: str | None) -> int:
    """Workers name themselves `role:host:pid:thread` (population_jobs.worker_name)."""
    assert worker is not None
    return int(worker.split(":")[2])


# --- the tests ---

POPULATION = 3000
PARTITIONS = 16


def test_two_workers_split_a_job_with_nothing_done_twice_or_lost(
    installation: Installation,
) -> None:
    site = installation
    populate(site, POPULATION, approve=False)
    workers = [start_worker(site, 0), start_worker(site, 1)]
    try:
        # Both consume before there is anything to take, so that neither gets the job alone.
        wait_until("both workers consume the queue", consuming(site, 2), site, workers)
        with site.runtime.unit_of_work(APPROVER) as uow:
            approve_ruleset(uow, RULESET_ID, VERSION)
            # Its activation job, started with the approval and cut finer than its size would
            # be: the workers' rounds take it as the version's activation.
            job = start_everyone(uow, JobKind.RULESET, LABEL, partitions=PARTITIONS)
        # Sent once here; the workers' own rounds send the open ones again (duplicates that
        # find their partition claimed or done).
        assert dispatch_open_partitions(site.runtime) == PARTITIONS
        wait_until(f"job {job} finished", finished(site, job), site, workers)
        wait_until("the version marked activated", activated(site), site, workers)
    finally:
        codes = stop_workers(workers)
    assert codes == [0, 0]  # SIGTERM: a clean stop

    rows = partition_rows(site, job)
    assert [row["status"] for row in rows] == ["done"] * PARTITIONS
    # Every partition done once, by one of the two, and each of them did some.
    assert partition_audits(site) == Counter(f"job:{job}/{n}" for n in range(PARTITIONS))
    assert {pid_of(row["worker"]) for row in rows} == {worker.pid for worker in workers}
    # Each partition re-evaluated its own persons, each once: the counts add up exactly.
    for row in rows:
        assert row["evaluated"] == persons_in(site, row["bucket_from"], row["bucket_to"])
    assert sum(row["evaluated"] for row in rows) == POPULATION
    # Nobody's code written twice by the job, nobody left out, everyone under the new version.
    history = history_under_label(site)
    assert len(history) == POPULATION
    assert set(history.values()) == {1}
    assert states_by_ruleset(site) == {LABEL: POPULATION}
    with site.runtime.unit_of_work(OPERATOR) as uow:
        progress = job_progress(uow, job)
    assert (progress.partitions_done, progress.evaluated, progress.changed) == (
        PARTITIONS,
        POPULATION,
        POPULATION,
    )


def test_a_message_for_a_partition_already_done_does_nothing(installation: Installation) -> None:
    site = installation
    populate(site, 200)
    job = start_job(site, 2)
    assert run_open_partitions(site.runtime, "in-process") == 2
    before = (partition_rows(site, job), partition_audits(site), history_under_label(site))
    workers = [start_worker(site, 0)]
    try:
        wait_until("the worker consumes the queue", consuming(site, 1), site, workers)
        sender = PartitionSender(site.runtime.settings)
        try:
            assert sender.send([PartitionRef(job, 0)]) == 1
        finally:
            sender.close()
        answered = {"event": "partition", "job": job, "partition": 0, "outcome": "already_done"}
        wait_until(
            "the worker answers the message",
            lambda: any(answered.items() <= event.items() for event in logged_events(site, 0)),
            site,
            workers,
        )
    finally:
        stop_workers(workers)
    assert (partition_rows(site, job), partition_audits(site), history_under_label(site)) == before


def test_a_partition_whose_worker_died_is_sent_again_once_its_lease_ran_out_and_finished(
    installation: Installation,
) -> None:
    site = installation
    populate(site, 200)
    job = start_job(site, 2)

    class KilledError(Exception):
        """The worker's death, right after its first page committed."""

    def die(_: int) -> None:
        raise KilledError

    # At an instant two leases ago, a worker claimed partition 0, committed a page and died.
    earlier = replace(site.runtime, clock=FrozenClock(NOW - 2 * LEASE))
    with pytest.raises(KilledError):
        run_partition(earlier, PartitionRef(job, 0), "worker:killed-host:1:1", die, page=10)
    left = partition_rows(site, job)[0]
    assert (left["status"], left["evaluated"]) == ("running", 10)
    assert left["lease_until"] < NOW

    workers = [start_worker(site, 0)]  # nothing is sent but what its own round finds open
    try:
        wait_until(f"job {job} finished", finished(site, job), site, workers)
    finally:
        stop_workers(workers)

    rows = partition_rows(site, job)
    assert {pid_of(row["worker"]) for row in rows} == {workers[0].pid}
    assert partition_audits(site) == Counter(f"job:{job}/{n}" for n in range(2))
    # The dead worker's page is not done again: the partition's count is its persons, once.
    assert [row["evaluated"] for row in rows] == [
        persons_in(site, row["bucket_from"], row["bucket_to"]) for row in rows
    ]
    history = history_under_label(site)
    assert (len(history), set(history.values())) == (200, {1})
    assert states_by_ruleset(site) == {LABEL: 200}


def test_a_process_sends_an_open_partition_again_only_after_its_resend_delay(
    installation: Installation,
) -> None:
    """Rounds every few seconds must not pile copies of a long queue onto the broker; a message
    lost all the same is sent again once the delay has passed."""
    site = installation
    populate(site, 20)
    job = start_job(site, 2)
    instant = [0.0]
    sender = PartitionSender(
        site.runtime.settings, resend_after=300.0, monotonic=lambda: instant[0]
    )
    try:
        assert sender.dispatch(site.runtime) == 2
        instant[0] = 299.0
        assert sender.dispatch(site.runtime) == 0
        instant[0] = 300.0
        assert sender.dispatch(site.runtime) == 2  # still open: nobody took them
    finally:
        sender.close()
    assert [row["status"] for row in partition_rows(site, job)] == ["pending", "pending"]

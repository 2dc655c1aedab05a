"""Dispatching open partitions with no broker configured: the caller runs them (ADR 0012).

The embedded default (SQLite, one process) and a PostgreSQL installation without Redis behave as
before there was a broker: the scheduled round, or whoever dispatches, does the work itself.
"""

from __future__ import annotations

from builders import ManualClock, fact, march, person
from healthcode.domain.facts import Action, HealthMonitoring
from healthcode.services.facts import record_facts
from healthcode.services.population_jobs import JobKind, job_progress, start_everyone
from healthcode.services.runtime import Actor, Runtime
from healthcode.tasks.dispatch import dispatch_open_partitions

FEED = Actor("feed", "department_client", "test")
OPERATOR = Actor("tester", "system", "population_job")


def test_without_a_broker_the_caller_runs_the_open_partitions(
    runtime: Runtime, clock: ManualClock
) -> None:
    assert runtime.settings.task_broker_url is None
    monitoring = HealthMonitoring(Action.START)
    with runtime.unit_of_work(FEED) as uow:
        record_facts(uow, [fact(monitoring, march(10), person(n)) for n in range(12)])
    clock.instant = march(21)
    with runtime.unit_of_work(OPERATOR) as uow:
        job = start_everyone(uow, JobKind.RULESET, "test@1", partitions=4)

    assert dispatch_open_partitions(runtime) == 4

    with runtime.unit_of_work(OPERATOR) as uow:
        progress = job_progress(uow, job)
    assert (progress.partitions_done, progress.evaluated, progress.finished) == (4, 12, True)
    assert dispatch_open_partitions(runtime) == 0  # nothing open: nothing run again

"""Population jobs started by a request run after its answer: the one way the routes hand them on.

A ruleset's approval and a change of risk areas or severe designations each start a population
job (services/population_jobs.py) in the request's transaction and answer at once with the job;
its partitions are then run here, in a thread of this process (with a broker: sent to the workers,
ADR 0012), and the scheduler's round would run them too (and takes over what a dying process
leaves). The job's progress is read back from the database by whoever asks.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from healthcode.domain.timezones import display_instant
from healthcode.services.population_jobs import JobProgress
from healthcode.services.runtime import Runtime
from healthcode.services.scheduled_round import activate_rulesets
from healthcode.tasks.dispatch import dispatch_open_partitions

log = logging.getLogger("healthcode.population_jobs")


def run_in_background(runtime: Runtime) -> None:
    """Run every open population job in a thread, then mark any due ruleset versions activated
    (the round's first step: an area job and an activation are both just open partitions)."""

    def run() -> None:
        try:
            activate_rulesets(runtime, dispatch_open_partitions)
        except Exception as error:  # a thread's failure is logged; the scheduler retries
            log.error("population job failed", extra={"error_type": type(error).__name__})

    threading.Thread(target=run, name="healthcode-population-job", daemon=True).start()


def progress_json(progress: JobProgress) -> dict[str, Any]:
    """The spec's progress of a job (docs/spec.md §4)."""
    return progress.as_json() | {"finished_at": display_instant(progress.finished_at)}

"""The worker's scheduled jobs inside the server: ruleset activation, next reviews, scan purges.

One background thread a process. Every job is a transaction of its own and safe to run twice, so
several server processes (or a separate `healthcode worker`) may run it side by side.
"""

from __future__ import annotations

import logging
import threading

from healthcode.services.runtime import Runtime
from healthcode.services.scheduled_round import PartitionRunner, run_partitions, run_round
from healthcode.tasks.dispatch import PartitionSender

log = logging.getLogger("healthcode.scheduler")


class Scheduler:
    def __init__(self, runtime: Runtime, interval: float) -> None:
        self._runtime = runtime
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="healthcode-scheduler", daemon=True)
        # With a broker, partitions of population jobs go to the workers: the server only sends
        # them, and keeps its CPU for requests (ADR 0012).
        configured = runtime.settings.task_broker_url is not None
        self._sender = PartitionSender(runtime.settings) if configured else None
        self._partitions: PartitionRunner = (
            run_partitions if self._sender is None else self._sender.dispatch
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self._interval + 5)
        if self._sender is not None:
            self._sender.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = run_round(self._runtime, self._partitions)
                for label in report.activated:
                    log.info("ruleset activated", extra={"ruleset": label})
                if report.reviewed:
                    log.info("scheduled review", extra={"reviewed": report.reviewed})
            except Exception as error:
                log.error("scheduled round failed", extra={"error_type": type(error).__name__})
            self._stop.wait(self._interval)

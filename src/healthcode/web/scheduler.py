"""The worker's scheduled jobs inside the server: ruleset activation, next reviews, scan purges.

One background thread a process. Every job is a transaction of its own and safe to run twice, so
several server processes (or a separate `healthcode worker`) may run it side by side.
"""

from __future__ import annotations

import logging
import threading

from healthcode.services.runtime import Runtime
from healthcode.services.scheduled_round import run_round

log = logging.getLogger("healthcode.scheduler")


class Scheduler:
    def __init__(self, runtime: Runtime, interval: float) -> None:
        self._runtime = runtime
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="healthcode-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self._interval + 5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = run_round(self._runtime)
                for label in report.activated:
                    log.info("ruleset activated", extra={"ruleset": label})
                if report.reviewed:
                    log.info("scheduled review", extra={"reviewed": report.reviewed})
            except Exception as error:
                log.error("scheduled round failed", extra={"error_type": type(error).__name__})
            self._stop.wait(self._interval)

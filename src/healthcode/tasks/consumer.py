"""Consuming partition messages in this process: a Dramatiq worker with a thread or a few."""

from __future__ import annotations

import logging

from dramatiq import Actor, Worker

from healthcode.services.population_jobs import PartitionRef, run_partition, worker_name
from healthcode.services.runtime import Runtime
from healthcode.tasks.broker import PARTITION_ACTOR, PARTITION_QUEUE, partition_broker

log = logging.getLogger("healthcode.tasks")

# How long a stop waits for the partitions in hand before the process goes anyway: a partition
# left half-done keeps its pages (one transaction each) and is finished by another worker once its
# lease has expired.
STOP_TIMEOUT_MS = 60_000


class PartitionConsumer:
    """Runs `run_partition` for every message of the partition queue, until stopped."""

    def __init__(self, runtime: Runtime, threads: int = 1) -> None:
        self._runtime = runtime
        self._broker = partition_broker(runtime.settings)
        Actor(
            self._run,
            broker=self._broker,
            actor_name=PARTITION_ACTOR,
            queue_name=PARTITION_QUEUE,
            priority=0,
            options={},
        )
        self._worker = Worker(self._broker, queues={PARTITION_QUEUE}, worker_threads=threads)

    def start(self) -> None:
        self._worker.start()

    def stop(self, timeout_ms: int = STOP_TIMEOUT_MS) -> None:
        """Finish the partitions in hand, give prefetched messages back to the queue, close."""
        self._worker.stop(timeout=timeout_ms)
        self._broker.client.close()

    def _run(self, job_id: int, partition: int) -> None:
        ref = PartitionRef(job_id, partition)
        try:
            # Named per thread (host, process, thread): a lease is held by one of them.
            outcome = run_partition(self._runtime, ref, worker_name("worker"))
        except Exception as error:
            # Only the type: a message might carry a value of someone's. Not raised on, so that
            # Dramatiq neither retries nor logs a traceback; the lease runs out and the sweep of
            # open partitions sends the partition again (ADR 0012).
            log.error(
                "partition failed",
                extra={"job": job_id, "partition": partition, "error_type": type(error).__name__},
            )
            return
        log.info(
            "partition", extra={"job": job_id, "partition": partition, "outcome": str(outcome)}
        )

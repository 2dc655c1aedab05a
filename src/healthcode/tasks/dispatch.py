"""Sending open partitions: one message each to the broker, or run here when there is none."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from dramatiq import Message

from healthcode.services.population_jobs import PartitionRef, open_partitions
from healthcode.services.runtime import Runtime, system_actor
from healthcode.services.scheduled_round import run_partitions
from healthcode.settings import Settings
from healthcode.tasks.broker import PARTITION_ACTOR, PARTITION_QUEUE, partition_broker

# A partition still open this long after this process sent it is sent again: its message may have
# been lost (a broker restarted without persistence). Until then a queued message is trusted, so
# rounds every few seconds do not pile copies of a long queue onto the broker; a copy is harmless
# anyway (the claim is atomic), only wasted.
RESEND_AFTER_SECONDS = 300.0


class PartitionSender:
    """Sends open partitions to the broker; one per process, kept from round to round."""

    def __init__(
        self,
        settings: Settings,
        resend_after: float = RESEND_AFTER_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._broker = partition_broker(settings)
        self._resend_after = resend_after
        self._monotonic = monotonic
        self._sent: dict[PartitionRef, float] = {}

    def dispatch(self, runtime: Runtime) -> int:
        """Send what the database says is open (neither done nor under a live lease)."""
        with runtime.unit_of_work(system_actor("partition_dispatch")) as uow:
            refs = open_partitions(uow)
        return self.send(refs)

    def send(self, refs: Iterable[PartitionRef]) -> int:
        now = self._monotonic()
        due = [ref for ref in refs if self._due(ref, now)]
        for ref in due:
            self._broker.enqueue(partition_message(ref))
            self._sent[ref] = now
        return len(due)

    def _due(self, ref: PartitionRef, now: float) -> bool:
        # One entry a partition of the jobs this process has seen: small, never worth a sweep.
        sent = self._sent.get(ref)
        return sent is None or now - sent >= self._resend_after

    def close(self) -> None:
        self._broker.client.close()


def partition_message(ref: PartitionRef) -> Message[None]:
    return Message(
        queue_name=PARTITION_QUEUE,
        actor_name=PARTITION_ACTOR,
        args=(ref.job_id, ref.partition),
        kwargs={},
        options={},
    )


def dispatch_open_partitions(runtime: Runtime) -> int:
    """Every open partition, sent to the broker; with none configured, run here, in the caller.

    Returns how many partitions were sent (or run). A process that dispatches round after round
    keeps one `PartitionSender` instead.
    """
    if runtime.settings.task_broker_url is None:
        return run_partitions(runtime)
    sender = PartitionSender(runtime.settings, resend_after=0.0)
    try:
        return sender.dispatch(runtime)
    finally:
        sender.close()

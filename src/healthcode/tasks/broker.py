"""The broker connection: Dramatiq over Redis, every key under the installation's namespace."""

from __future__ import annotations

from dramatiq.brokers.redis import RedisBroker

from healthcode.settings import Settings

# One queue, one actor: a message is `(job_id, partition)`, two integers and nothing personal.
PARTITION_QUEUE = "partitions"
PARTITION_ACTOR = "run_partition"


class NoBrokerError(LookupError):
    """Asked for a broker where HEALTHCODE_TASK_BROKER_URL is not set."""


def partition_broker(settings: Settings) -> RedisBroker:
    """A broker without Dramatiq's default middleware, on purpose.

    Retries are the sweep's job (a partition left open is sent again, ADR 0012), and a time
    limit would interrupt a long partition between two pages for nothing: its lease already tells
    the others when a worker has died.
    """
    if settings.task_broker_url is None:
        raise NoBrokerError("HEALTHCODE_TASK_BROKER_URL is not set")
    # Dramatiq's RedisBroker.__init__ has no annotations (the package is otherwise typed).
    broker = RedisBroker(  # type: ignore[no-untyped-call]
        url=settings.task_broker_url, namespace=settings.task_namespace, middleware=[]
    )
    broker.declare_queue(PARTITION_QUEUE)
    return broker

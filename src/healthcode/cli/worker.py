"""`healthcode worker`: keeps codes current as time passes (next reviews, ruleset activation).

With a broker configured (HEALTHCODE_TASK_BROKER_URL) it also takes partitions of population jobs
from the queue, so that every worker, on this machine or another, shares them (ADR 0012); its own
round then sends the open partitions to the queue instead of running them itself.
"""

from __future__ import annotations

import logging.config
import signal
import threading
from contextlib import ExitStack
from typing import Annotated

import typer

from healthcode.cli import context
from healthcode.services.runtime import Runtime
from healthcode.services.scheduled_round import PartitionRunner, run_partitions, run_round
from healthcode.tasks.consumer import PartitionConsumer
from healthcode.tasks.dispatch import PartitionSender
from healthcode.web.logs import LOG_CONFIG


def worker(
    once: Annotated[
        bool,
        typer.Option(
            help="Do what is due now, then stop (with a broker: send the open partitions to the "
            "running workers)."
        ),
    ] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between rounds.")] = 30.0,
    threads: Annotated[
        int, typer.Option(min=1, max=64, help="Partitions run at once, with a broker.")
    ] = 1,
) -> int:
    runtime = context.runtime()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with ExitStack() as resources:
        partitions = _partitions(runtime, threads, once, resources)
        while True:
            report = run_round(runtime, partitions)
            for label in report.activated:
                typer.echo(f"ruleset {label} activated", err=True)
            typer.echo(f"reviewed {report.reviewed} codes", err=True)
            if once or stop.wait(interval):
                return 0


def _partitions(
    runtime: Runtime, threads: int, once: bool, resources: ExitStack
) -> PartitionRunner:
    """How the round gets partitions done: in this process, or sent to the queue."""
    if runtime.settings.task_broker_url is None:
        return run_partitions
    sender = PartitionSender(runtime.settings)
    resources.callback(sender.close)
    if not once:  # `--once` sends what is open and leaves it to the running workers
        logging.config.dictConfig(LOG_CONFIG)
        consumer = PartitionConsumer(runtime, threads)
        consumer.start()
        resources.callback(consumer.stop)
        typer.echo(f"taking partitions from the queue ({threads} at a time)", err=True)
    return sender.dispatch

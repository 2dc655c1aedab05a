"""`healthcode worker`: keeps codes current as time passes (next reviews, ruleset activation)."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from healthcode.cli import context
from healthcode.services.appeals.oversight import escalate_overdue
from healthcode.services.checkpoint.scans import purge_scans
from healthcode.services.review import review_due
from healthcode.services.rulesets import Activation, activate_due_rulesets
from healthcode.services.runtime import Runtime


def worker(
    once: Annotated[bool, typer.Option(help="Do what is due now, then stop.")] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between rounds.")] = 30.0,
) -> int:
    runtime = context.runtime()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while True:
        reviewed = run_round(runtime)
        typer.echo(f"reviewed {reviewed} codes", err=True)
        if once or stop.wait(interval):
            return 0


def run_round(runtime: Runtime) -> int:
    """Everything due now, in batches of one transaction each; returns how many were reviewed.

    Rulesets come first: a review under a version about to be replaced would be wasted.
    """
    for label in activate_rulesets(runtime):
        typer.echo(f"ruleset {label} activated", err=True)
    with runtime.unit_of_work(context.actor("system", "scan_retention")) as uow:
        purge_scans(uow)  # D2: scan records are kept only for the retention window
    with runtime.unit_of_work(context.actor("system", "appeal_escalation")) as uow:
        escalate_overdue(uow)  # S6: an appeal not handled in time moves up one tier
    total = 0
    while True:
        with runtime.unit_of_work(context.actor("system", "scheduled_review")) as uow:
            report = review_due(uow)
        total += report.reviewed
        if report.reviewed == 0:
            return total


def activate_rulesets(runtime: Runtime) -> tuple[str, ...]:
    """Bring the population under the versions that came into force, a page a transaction."""
    progress: Activation | None = None
    while True:
        with runtime.unit_of_work(context.actor("system", "ruleset_activation")) as uow:
            progress = activate_due_rulesets(uow, progress)
        if progress is None or progress.done:
            return () if progress is None else progress.labels

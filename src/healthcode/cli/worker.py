"""`healthcode worker`: keeps codes current as time passes (next reviews, ruleset activation)."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from healthcode.cli import context
from healthcode.services.scheduled_round import run_round


def worker(
    once: Annotated[bool, typer.Option(help="Do what is due now, then stop.")] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between rounds.")] = 30.0,
) -> int:
    runtime = context.runtime()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while True:
        report = run_round(runtime)
        for label in report.activated:
            typer.echo(f"ruleset {label} activated", err=True)
        typer.echo(f"reviewed {report.reviewed} codes", err=True)
        if once or stop.wait(interval):
            return 0

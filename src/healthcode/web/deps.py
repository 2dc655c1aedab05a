"""What a route handler needs besides its caller: the runtime and a unit of work in their name."""

from __future__ import annotations

from fastapi import Request

from healthcode.services.runtime import Runtime, UnitOfWork
from healthcode.web.access import Caller
from healthcode.web.metrics import Metrics


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def unit_of_work(request: Request, caller: Caller) -> UnitOfWork:
    """One transaction, audited as the caller in the role and for the purpose the route declared."""
    return runtime_of(request).unit_of_work(caller.actor)


def metrics_of(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics

"""What a route handler needs besides its caller: the runtime and a unit of work in their name."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Path, Query, Request

from healthcode.services.runtime import Runtime, UnitOfWork
from healthcode.web.access import Caller
from healthcode.web.metrics import Metrics

# Row ids are 64-bit on both databases (BIGINT on PostgreSQL, the rowid on SQLite). A larger number
# names no row, and the drivers raise on it (a 500): every id in a path or query is bounded, so it
# is refused as input (422) instead.
MAX_ROW_ID: Final = 2**63 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
RowIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)]


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def unit_of_work(request: Request, caller: Caller) -> UnitOfWork:
    """One transaction, audited as the caller in the role and for the purpose the route declared."""
    return runtime_of(request).unit_of_work(caller.actor)


def metrics_of(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics

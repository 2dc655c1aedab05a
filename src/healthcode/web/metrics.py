"""Prometheus metrics (issue #5): requests and latencies by route template (never by URL, which
may carry an id), codes shown by colour, codes by colour now, verifications by outcome, rejected
facts. One registry per app, so two apps in one process (tests) do not share counters."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from healthcode.db.schema import code_tallies
from healthcode.services.runtime import Runtime


class Metrics:
    def __init__(self, runtime: Runtime) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "healthcode_http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "healthcode_http_request_seconds",
            "Time to answer an HTTP request",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.codes_shown = Counter(
            "healthcode_codes_shown", "Codes shown to residents", ["colour"], registry=self.registry
        )
        self.verifications = Counter(
            "healthcode_verifications", "Codes verified", ["outcome"], registry=self.registry
        )
        self.fact_rejects = Counter(
            "healthcode_fact_rejects", "Submitted facts rejected", registry=self.registry
        )
        self.registry.register(_CodesByColour(runtime))


class _CodesByColour(Collector):
    """Read from the dashboard tallies at scrape time: a count, not anyone's record."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("healthcode_codes", "Current codes by colour", labels=["colour"])
        query = select(code_tallies.c.colour, func.sum(code_tallies.c.count)).group_by(
            code_tallies.c.colour
        )
        with self._runtime.engine.connect() as connection:
            for colour, count in connection.execute(query):
                family.add_metric([colour], float(count or 0))
        yield family


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def remember_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, remember_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self._metrics.requests.labels(scope["method"], route, str(status["code"])).inc()
            self._metrics.latency.labels(route).observe(time.perf_counter() - started)

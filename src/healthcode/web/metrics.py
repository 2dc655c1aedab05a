"""Prometheus metrics (issue #5): requests and latencies by route template (never by URL, which
may carry an id), codes shown by colour, codes by colour now, verifications by outcome, rejected
facts, requests refused by a limit, lookups of the caches in front of the database; and the
gauges the alert rules read (D3, ops/prometheus/alerts.yml): readiness, the database, Redis, the
keyring, audit sealing, the evaluation backlog, signing keys and trusted issuers' lists. One
registry per app, so two apps in one process (tests) do not share counters.

The gauges are measured together at most once every few seconds, whoever scrapes: several
Prometheus servers, or a scrape storm, cost the database one round of small bounded queries. A
scrape answers even with the database down, since that is when the alerts need it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Connection, func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from healthcode.db import gauges
from healthcode.db.schema import code_tallies
from healthcode.services.probes import (
    RedisProbe,
    database_reachable,
    database_ready,
    keyring_readable,
)
from healthcode.services.runtime import Runtime
from healthcode.tokens.keys import KeyPurpose, KeyStatus
from healthcode.tokens.trust_lists import TrustListError, verify_trust_list

log = logging.getLogger("healthcode.metrics")
SERVER_ERROR = 500
# How long one measurement of the gauges is served before the next is taken.
GAUGE_SECONDS = 5.0


class Metrics:
    def __init__(self, runtime: Runtime, gauge_seconds: float = GAUGE_SECONDS) -> None:
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
        # One series from the start (never born at the first failure): a rate over it is known
        # from the first scrape that sees errors, so the error-rate alert fires a scrape sooner.
        self.server_errors = Counter(
            "healthcode_http_server_errors",
            "HTTP requests answered with a 5xx status",
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
        self.throttled = Counter(
            "healthcode_throttled_requests",
            "Requests refused by a limit (429), by route template and refusal code",
            ["route", "code"],
            registry=self.registry,
        )
        self.gauges = OperationsGauges(runtime, gauge_seconds)
        self.registry.register(self.gauges)
        self.registry.register(CacheLookups(runtime))


class CacheLookups(Collector):
    """Lookups of the caches in front of the database, by cache and outcome (ADR 0023): the
    shared colours and pseudonyms, and the process memo by kind of entry (`memo_venue`...).
    Counted where they happen (services/cache_counts.py) and read as they stand at each scrape."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "healthcode_cache_lookups",
            "Lookups of a cache in front of the database: hit, miss, or fallback (the cache could "
            "not answer: unreachable, an entry in flight or one that does not open)",
            labels=["cache", "outcome"],
        )
        counts = {**self._runtime.cache_counts.snapshot(), **self._runtime.memo.counts.snapshot()}
        for (cache, outcome), count in sorted(counts.items()):
            family.add_metric([cache, outcome.value], count)
        yield family


@dataclass(slots=True)
class Reading:
    """One measurement of everything the gauges show; None or empty: not known (database down)."""

    database_up: bool
    ready: bool
    keyring_readable: bool
    redis_up: dict[str, bool]
    codes: dict[str, float] = field(default_factory=dict)
    oldest_unsealed: datetime | None = None
    backlog: gauges.Backlog | None = None
    signing_keys: dict[str, datetime] = field(default_factory=dict)
    lists_received: dict[str, datetime] = field(default_factory=dict)
    keys_valid_until: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


class OperationsGauges(Collector):
    """The gauges of the alert rules, measured together and kept for `seconds`."""

    def __init__(self, runtime: Runtime, seconds: float) -> None:
        self._runtime = runtime
        self._seconds = seconds
        self._lock = threading.Lock()
        self._reading: Reading | None = None
        self._taken = -math.inf
        settings = runtime.settings
        urls = {"shared_state": settings.redis_url, "task_broker": settings.task_broker_url}
        self._redis = {use: RedisProbe(url) for use, url in urls.items() if url is not None}

    def reading(self) -> Reading:
        with self._lock:
            if self._reading is None or time.monotonic() - self._taken >= self._seconds:
                self._reading = self._measure()
                self._taken = time.monotonic()
            return self._reading

    def _measure(self) -> Reading:
        started = time.perf_counter()
        runtime = self._runtime
        up = database_reachable(runtime)
        reading = Reading(
            database_up=up,
            ready=up and database_ready(runtime),
            keyring_readable=keyring_readable(runtime),
            redis_up={use: probe.reachable() for use, probe in self._redis.items()},
        )
        if reading.ready:
            try:
                with runtime.engine.connect() as connection:
                    self._read_database(connection, reading)
            except Exception as error:
                # Left out rather than half shown; the probes above still say what they saw.
                log.error("operations gauges failed", extra={"error_type": type(error).__name__})
                reading = Reading(
                    reading.database_up, reading.ready, reading.keyring_readable, reading.redis_up
                )
        reading.seconds = time.perf_counter() - started
        return reading

    def _read_database(self, connection: Connection, reading: Reading) -> None:
        query = select(code_tallies.c.colour, func.sum(code_tallies.c.count)).group_by(
            code_tallies.c.colour
        )
        reading.codes = {colour: float(count or 0) for colour, count in connection.execute(query)}
        reading.oldest_unsealed = gauges.oldest_unsealed_entry(connection)
        reading.backlog = gauges.evaluation_backlog(connection)
        reading.signing_keys = gauges.newest_active_keys(connection, self._runtime.settings.issuer)
        for issuer, document, root, received in gauges.held_trust_lists(connection):
            reading.lists_received[issuer] = received
            reading.keys_valid_until[issuer] = _keys_valid_until(document, root)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        reading = self.reading()
        yield _flag(
            "healthcode_database_up", "The database answers (1) or not (0)", reading.database_up
        )
        yield _flag(
            "healthcode_ready", "Ready: database at the schema's head (as /readyz)", reading.ready
        )
        yield _flag(
            "healthcode_keyring_readable",
            "The keyring on disk opens with the keys in use: a restart would come up",
            reading.keyring_readable,
        )
        redis = GaugeMetricFamily(
            "healthcode_redis_up", "A configured Redis answers (1) or not (0)", labels=["use"]
        )
        for use, answered in sorted(reading.redis_up.items()):
            redis.add_metric([use], float(answered))
        yield redis
        codes = GaugeMetricFamily("healthcode_codes", "Current codes by colour", labels=["colour"])
        for colour, count in sorted(reading.codes.items()):
            codes.add_metric([colour], count)
        yield codes
        window = self._runtime.settings.audit_unsealed_window.total_seconds()
        yield GaugeMetricFamily(
            "healthcode_audit_unsealed_window_seconds",
            "How long audit entries may stay unsealed (HEALTHCODE_AUDIT_UNSEALED_WINDOW_SECONDS)",
            value=window,
        )
        yield from _instants(
            "healthcode_audit_oldest_unsealed_timestamp_seconds",
            "When the oldest audit entry no signed head covers was written (absent: all sealed)",
            {(): reading.oldest_unsealed} if reading.oldest_unsealed else {},
        )
        if reading.backlog is not None:
            backlog = reading.backlog
            yield GaugeMetricFamily(
                "healthcode_evaluation_queue_rows",
                f"Persons queued for re-evaluation (rows, counted up to {gauges.QUEUE_COUNT_CAP})",
                value=backlog.queued_rows,
            )
            yield GaugeMetricFamily(
                "healthcode_evaluation_open_partitions",
                "Partitions of population jobs pending or running",
                value=backlog.open_partitions,
            )
            oldest = backlog.oldest_unfinished_job
            yield from _instants(
                "healthcode_evaluation_oldest_unfinished_job_timestamp_seconds",
                "When the oldest unfinished population job began (absent: none)",
                {(): oldest} if oldest else {},
            )
        yield from _instants(
            "healthcode_signing_key_created_timestamp_seconds",
            "When this issuer's newest key that still signs was made, by purpose",
            {(purpose,): at for purpose, at in reading.signing_keys.items()},
            ["purpose"],
        )
        yield from _instants(
            "healthcode_trusted_issuer_list_received_timestamp_seconds",
            "When the trust list held for another issuer was received",
            {(issuer,): at for issuer, at in reading.lists_received.items()},
            ["issuer"],
        )
        valid = GaugeMetricFamily(
            "healthcode_trusted_issuer_keys_valid_until_timestamp_seconds",
            "Until when the held list of another issuer has a code key to verify with "
            "(+Inf: one still signs; 0: none, or the list no longer verifies)",
            labels=["issuer"],
        )
        for issuer, until in sorted(reading.keys_valid_until.items()):
            valid.add_metric([issuer], until)
        yield valid
        yield GaugeMetricFamily(
            "healthcode_gauges_measure_seconds",
            "How long the last measurement of these gauges took",
            value=reading.seconds,
        )


def _flag(name: str, documentation: str, value: bool) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value))


def _instants(
    name: str,
    documentation: str,
    values: dict[tuple[str, ...], datetime],
    labels: list[str] | None = None,
) -> Iterator[GaugeMetricFamily]:
    family = GaugeMetricFamily(name, documentation, labels=labels or [])
    for label_values, at in sorted(values.items()):
        family.add_metric(list(label_values), at.timestamp())
    yield family


def _keys_valid_until(document: object, root: object) -> float:
    """The latest instant a code key of the list verifies; +Inf while one signs, 0 for none."""
    try:
        listed = verify_trust_list(document, root)
    except TrustListError:
        return 0.0
    ends = [
        math.inf if key.not_after is None else key.not_after.timestamp()
        for key in listed.keys
        if key.purpose is KeyPurpose.CODE and key.status is not KeyStatus.REVOKED
    ]
    return max(ends, default=0.0)


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
            if status["code"] >= SERVER_ERROR:
                self._metrics.server_errors.inc()
            self._metrics.latency.labels(route).observe(time.perf_counter() - started)

"""The incident drills that fit CI's time (D3, docs/operations.md), on a private stack: their own
PostgreSQL cluster, Redis, `healthcode serve` and Debian's Prometheus with the repository's alert
rules, on loopback and free ports. Each fault is injected, the alert must fire in Prometheus within
60 s, and requests must succeed again within 10 s of the repair, without restarting HealthCode.

Prometheus scrapes and evaluates every 2 s here (15 s in production: `make drill` measures that).
The disk-full and flood drills run in `make drill` only: one crashes PostgreSQL on purpose, the
other spends both cores of the machine for half a minute.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from drills.incidents import ALERT_SECONDS, RECOVERY_SECONDS, Figures, Stack, by_name, run, stack
from drills.processes import find_tool

REQUIRED = os.environ.get("HEALTHCODE_TEST_POSTGRES") == "required"
TOOLS = ("initdb", "pg_ctl", "redis-server", "prometheus")


@pytest.fixture(scope="module")
def drills() -> Iterator[Stack]:
    missing = [tool for tool in TOOLS if find_tool(tool) is None]
    if missing:
        message = f"the drills need {', '.join(missing)} (`make prometheus`, Debian's postgresql)"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    with stack(interval=2.0) as ready:
        yield ready


def _within_targets(figures: Figures) -> None:
    print(figures.line())  # noqa: T201 - the figures, for docs/operations.md (pytest -s)
    assert figures.alert_seconds < ALERT_SECONDS
    assert figures.recovery_seconds < RECOVERY_SECONDS


def test_postgresql_stopped_alerts_and_requests_succeed_again_after_its_restart__D3(
    drills: Stack,
) -> None:
    figures = run(by_name("postgres-stopped"), drills)
    _within_targets(figures)
    assert figures.failed_during > 0  # the fault was real: verifications failed while it lasted


def test_redis_stopped_alerts_and_its_probe_recovers_after_its_restart__D3(
    drills: Stack,
) -> None:
    _within_targets(run(by_name("redis-stopped"), drills))


def test_an_unreadable_keyring_alerts_while_the_running_process_keeps_serving__D3(
    drills: Stack,
) -> None:
    figures = run(by_name("keyring-unreadable"), drills)
    _within_targets(figures)
    assert figures.answered_during > 0
    assert figures.failed_during == 0

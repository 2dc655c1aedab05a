"""The incident drills (D3): each injects one fault into a private HealthCode stack on loopback,
measures the time until Prometheus fires the alert the runbook is for (docs/operations.md), and the
time until the service works again once the fault is repaired, without restarting HealthCode.

The stack: a PostgreSQL cluster, a Redis (`HEALTHCODE_REDIS_URL` and the task broker), `healthcode
serve`, and Debian's Prometheus scraping it every `interval` seconds with ops/prometheus/alerts.yml.
Steady traffic (checkpoint staff verifying a code, 4 a second) runs through every drill.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from drills.processes import (
    DrillError,
    HealthCodeServer,
    PostgresCluster,
    Prometheus,
    RedisServer,
    wait_until,
)
from drills.traffic import Checkpoint, Load, drill_runtime, new_code, prepare_checkpoint
from healthcode.security.keyring import KEYRING_FILE

ALERT_SECONDS: Final = 60.0  # issue #13: every drill's alert fires within this
RECOVERY_SECONDS: Final = 10.0  # and requests succeed again within this after the repair
FLOOD_THREADS: Final = 4


@dataclass(frozen=True)
class Figures:
    drill: str
    alert: str
    alert_seconds: float  # fault injected → the alert firing in Prometheus
    recovery_seconds: float  # repair begun (e.g. pg_ctl start) → the service working again
    failed_during: int  # steady requests that failed while the fault lasted
    answered_during: int  # steady requests sent while the fault lasted
    note: str = ""

    def line(self) -> str:
        return (
            f"{self.drill:<18} {self.alert:<28} alert {self.alert_seconds:5.1f} s   "
            f"recovery {self.recovery_seconds:4.1f} s   failed {self.failed_during}/"
            f"{self.answered_during}   {self.note}"
        )


@dataclass
class Stack:
    folder: Path
    cluster: PostgresCluster
    redis: RedisServer
    server: HealthCodeServer
    prometheus: Prometheus
    checkpoint: Checkpoint
    interval: float


@contextlib.contextmanager
def stack(interval: float = 15.0) -> Iterator[Stack]:
    """Every server of the drills, set up and, whatever happens, stopped and removed."""
    folder = Path(tempfile.mkdtemp(prefix="healthcode-drill-"))
    folder.chmod(0o755)  # the cluster's account must reach its folder inside
    cluster = PostgresCluster(folder / "postgres")
    redis = RedisServer(folder / "redis")
    server: HealthCodeServer | None = None
    prometheus: Prometheus | None = None
    try:
        cluster.init()
        cluster.start()
        redis.start()
        server = HealthCodeServer(
            folder / "healthcode",
            cluster.url(),
            {"HEALTHCODE_REDIS_URL": redis.url, "HEALTHCODE_TASK_BROKER_URL": redis.url},
        )
        server.cli("keys", "init")
        server.cli("db", "upgrade")
        server.start()
        checkpoint = prepare_checkpoint(server)
        prometheus = Prometheus(folder / "prometheus", server, interval)
        prometheus.start()
        wait_until("the first scrape", prometheus.scraped, 10 * interval + 30, 0.5)
        yield Stack(folder, cluster, redis, server, prometheus, checkpoint, interval)
    finally:
        for daemon in (prometheus, server, redis):
            if daemon is not None:
                daemon.stop()
        cluster.close()
        if os.environ.get("HEALTHCODE_DRILL_KEEP") != "1":
            shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Incident:
    name: str
    alert: str
    what: str  # what the drill does, for the report and docs/operations.md
    inject: Callable[[Stack], None]
    repair: Callable[[Stack], str | None]  # what the repair had to do beyond the obvious
    recovered: Callable[[Stack], bool]


def run(incident: Incident, drills: Stack) -> Figures:
    """Inject, wait for the alert, repair, wait for the service; figures of the one drill."""
    drills.checkpoint.token = _fresh_code(drills)
    prometheus = drills.prometheus
    wait_until(
        f"{incident.alert} to be quiet before the drill",
        lambda: incident.alert not in prometheus.alert_states(),
        180,
        1.0,
    )
    with Load(drills.checkpoint) as load:
        time.sleep(2)  # steady traffic before the fault
        injected = time.monotonic()
        incident.inject(drills)
        try:
            wait_until(
                f"{incident.alert} to fire",
                lambda: prometheus.alert_states().get(incident.alert) == "firing",
                ALERT_SECONDS + 4 * drills.interval,
                0.25,
            )
            alert_seconds = time.monotonic() - injected  # the injection's own time included
        finally:
            repaired_at = time.monotonic()
            note = incident.repair(drills)
        wait_until("the service to recover", lambda: incident.recovered(drills), 120, 0.1)
        recovery = time.monotonic() - repaired_at
        during = load.between(injected, repaired_at)
    return Figures(
        incident.name,
        incident.alert,
        alert_seconds,
        recovery,
        sum(1 for status in during if status != 200),
        len(during),
        note or "",
    )


def _fresh_code(drills: Stack) -> str:
    runtime = drill_runtime(drills.server)
    try:
        return new_code(runtime, 1)
    finally:
        runtime.engine.dispose()


def _verifies(drills: Stack) -> bool:
    return drills.checkpoint.verify(0, timeout=2.0) == 200


def _gauge(drills: Stack, name: str, value: str = "1.0") -> bool:
    return any(
        line.split(" ")[0].startswith(name) and line.rsplit(" ", 1)[1] == value
        for line in drills.server.metrics().splitlines()
        if not line.startswith("#")
    )


# --- PostgreSQL stopped ---


def _stop_postgres(drills: Stack) -> None:
    drills.cluster.stop("fast")


def _start_postgres(drills: Stack) -> str | None:
    drills.cluster.start()  # returns once PostgreSQL accepts connections (pg_ctl -w)
    return None


# --- Redis stopped ---


def _stop_redis(drills: Stack) -> None:
    drills.redis.stop()


def _start_redis(drills: Stack) -> str | None:
    drills.redis.start()
    return None


def _redis_answers_again(drills: Stack) -> bool:
    text = drills.server.metrics()
    down = [line for line in text.splitlines() if line.startswith("healthcode_redis_up{")]
    return bool(down) and all(line.endswith(" 1.0") for line in down) and _verifies(drills)


# --- keyring unreadable ---
# Root reads a file whatever its mode, so the drill takes the file away (as an unmounted key
# volume or a failed restore would), which every account notices alike.


def _keyring(drills: Stack) -> Path:
    return drills.server.data_dir / "keys" / KEYRING_FILE


def _hide_keyring(drills: Stack) -> None:
    _keyring(drills).rename(_keyring(drills).with_suffix(".drill"))


def _restore_keyring(drills: Stack) -> str | None:
    _keyring(drills).with_suffix(".drill").rename(_keyring(drills))
    return None


def _keyring_readable(drills: Stack) -> bool:
    return _gauge(drills, "healthcode_keyring_readable") and _verifies(drills)


# --- disk full ---
# Simulated with a file-size limit of 0 bytes (RLIMIT_FSIZE, set with prlimit on the running
# processes) on PostgreSQL and HealthCode: every write that would grow a file fails (EFBIG), as
# writes that need a new block fail with ENOSPC on a full disk; writes in place (the pre-allocated
# WAL segment) still succeed, as there. Not simulated: free space running low before it is gone.
# As on a full disk, PostgreSQL may stop itself (a checkpoint or its crash recovery cannot write):
# the repair then starts it again once space is free, as the runbook says.


def _fill_disk(drills: Stack) -> None:
    _limit_server(drills, 0)
    drills.cluster.limit_file_size(0)


def _free_disk(drills: Stack) -> str | None:
    _limit_server(drills, resource.RLIM_INFINITY)
    if drills.cluster.running():
        with contextlib.suppress(DrillError, OSError):
            drills.cluster.limit_file_size(None)
    if drills.cluster.ready():
        return None
    drills.cluster.start()
    return "PostgreSQL had stopped itself: started again after the space was freed"


def _limit_server(drills: Stack, size: int) -> None:
    _soft, hard = resource.prlimit(drills.server.pid, resource.RLIMIT_FSIZE)
    resource.prlimit(drills.server.pid, resource.RLIMIT_FSIZE, (size, hard))


# --- a flood of verifications ---
# One staff account verifying as fast as FLOOD_THREADS connections go, as a scripted or stuck
# scanner would; the steady traffic of the other staff goes on beside it.

_flood_stop = threading.Event()
_flood_threads: list[threading.Thread] = []


def _start_flood(drills: Stack) -> None:
    _flood_stop.clear()
    flooder = len(drills.checkpoint.headers) - 1

    def flood() -> None:
        while not _flood_stop.is_set():
            drills.checkpoint.verify(flooder, timeout=5.0)

    _flood_threads[:] = [threading.Thread(target=flood, daemon=True) for _ in range(FLOOD_THREADS)]
    for thread in _flood_threads:
        thread.start()


def _stop_flood(_drills: Stack) -> str | None:
    _flood_stop.set()
    for thread in _flood_threads:
        thread.join(timeout=10)
    return None


INCIDENTS: Final = (
    Incident(
        "disk-full",
        "HealthCodeHighErrorRate",
        "file-size limit of 0 on PostgreSQL and HealthCode, lifted again",
        _fill_disk,
        _free_disk,
        _verifies,
    ),
    Incident(
        "postgres-stopped",
        "HealthCodeDatabaseDown",
        "pg_ctl stop -m fast, then pg_ctl start",
        _stop_postgres,
        _start_postgres,
        _verifies,
    ),
    Incident(
        "redis-stopped",
        "HealthCodeRedisDown",
        "redis-server terminated, then started on the same port",
        _stop_redis,
        _start_redis,
        _redis_answers_again,
    ),
    Incident(
        "keyring-unreadable",
        "HealthCodeKeyringUnreadable",
        "keyring.json moved away, then back",
        _hide_keyring,
        _restore_keyring,
        _keyring_readable,
    ),
    Incident(
        "verification-flood",
        "HealthCodeThrottlingSpike",
        f"one staff account verifying on {FLOOD_THREADS} connections at once, then stopping",
        _start_flood,
        _stop_flood,
        _verifies,
    ),
)


def by_name(name: str) -> Incident:
    for incident in INCIDENTS:
        if incident.name == name:
            return incident
    raise DrillError(f"no drill {name!r}; drills: {', '.join(i.name for i in INCIDENTS)}")

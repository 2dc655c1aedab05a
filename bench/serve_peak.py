"""Benchmark (issue #13): showing and verifying a code against the `/healthz` floor of the same
server, on SQLite (one process) and on PostgreSQL + Redis with 1, 2 and 4 worker processes; and,
on PostgreSQL, the share of busy backends waiting on a lock and the rows updated per request.

    .venv/bin/python bench/serve_peak.py [--seconds 5] [--connections 16] [--workers 1 2 4]
        [--databases sqlite postgresql] [--staff 120]

Needs `wrk` (`make bench-tools`: Debian's package), the local PostgreSQL (trust auth, user
postgres) and Redis (a namespace of its own, deleted afterwards; never flushed). The load: wrk, one
thread, pinned to CPU 1; the server is not pinned (its workers may use both cores, as in
production; the floor is measured the same way in the same run, so the ratios are the claim).
Verifications rotate over `--staff` checkpoint accounts, each signed in through the API, because
one staff member may verify 60 codes a minute (ADR 0008). While show and verify run on PostgreSQL,
`pg_stat_activity` is sampled every 20 ms for the benchmark database's active backends and their
wait events, and `pg_stat_user_tables` is read before and after for rows updated.
Prints Markdown for bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import redis

from healthcode.domain.roles import Role
from healthcode.security.totp import code_at
from healthcode.services.accounts import create_staff
from healthcode.services.runtime import Actor, open_runtime
from healthcode.settings import Settings
from http_requests import SELF, _call, _free_port, _resident_token, _run, _wrk

BIN = Path(sys.executable).parent
ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/0"
SAMPLE_SECONDS = 0.02


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--staff", type=int, default=120)
    args = parser.parse_args()
    print(f"wrk: 1 thread on CPU 1, {args.connections} connections, {args.seconds} s a run; "
          f"verifications rotate over {args.staff} checkpoint accounts\n")  # fmt: skip
    print("| database | processes | request | requests/s | × `/healthz` | p50 ms | p99 ms "
          "| non-2xx | lock waits (busy backends; top wait events) "
          "| rows updated / request |")  # fmt: skip
    print("|---|--:|---|--:|--:|--:|--:|--:|--:|--:|")
    for database in args.databases:
        with _installation(database) as env:
            counts = args.workers if database == "postgresql" else [1]
            _bench(env, database, counts, args)


@contextmanager
def _installation(database: str) -> Iterator[dict[str, str]]:
    with tempfile.TemporaryDirectory() as folder:
        env = os.environ | {"HEALTHCODE_DATA_DIR": folder, "HEALTHCODE_MESSAGE_SENDER": "outbox"}
        env.pop("HEALTHCODE_REDIS_URL", None)
        if database == "sqlite":
            yield env
            return
        name = f"bench_serve_{uuid.uuid4().hex[:8]}"
        namespace = f"bench-{name}"
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        env |= {
            "HEALTHCODE_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
            "HEALTHCODE_REDIS_URL": REDIS,
            "HEALTHCODE_TASK_NAMESPACE": namespace,
        }
        try:
            yield env
        finally:
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            client = redis.Redis.from_url(REDIS)
            keys = list(client.scan_iter(f"{namespace}:*"))
            if keys:
                client.delete(*keys)


def _bench(env: dict[str, str], database: str, counts: list[int], args: argparse.Namespace) -> None:
    _run([str(BIN / "healthcode"), "demo", "--persons", "40", "--json"], env)
    accounts = _staff_accounts(env, args.staff)
    signed_in: dict[str, Any] = {}
    for workers in counts:
        with _server(env, workers) as base:
            if not signed_in:
                signed_in = _sign_in(base, accounts)
            targets = _targets(signed_in)
            floor = 0.0
            for name, target in targets.items():
                if name.endswith("PNG") and workers != 1:
                    continue
                sampler = _LockSampler(env) if database == "postgresql" else None
                before = _updates(env) if sampler else None
                if sampler:
                    sampler.start()
                row = _wrk(base, target, args, _lua(target))
                waits = sampler.stop() if sampler else None
                after = _updates(env) if before is not None else None
                updated = (
                    None
                    if before is None or after is None
                    else (after[0] - before[0], after[1] - before[1])
                )
                floor = floor or row["rps"]
                _print(database, workers, name, row, floor, waits, updated)


def _staff_accounts(env: dict[str, str], count: int) -> list[tuple[str, str, str]]:
    runtime = open_runtime(Settings.from_environment(env))
    accounts = []
    with runtime.unit_of_work(Actor("bench", "security_admin", "benchmark accounts")) as uow:
        for number in range(count):
            new = create_staff(uow, f"bench-gate-{number}", [Role.CHECKPOINT], None)
            accounts.append((f"bench-gate-{number}", new.password, new.totp_secret))
    runtime.engine.dispose()
    return accounts


def _sign_in(base: str, accounts: list[tuple[str, str, str]]) -> dict[str, Any]:
    resident = _resident_token(base)
    person_id = _call(base, "POST", "/api/v1/applications", SELF, token=resident)["person_id"]
    code = _call(base, "GET", f"/api/v1/codes/{person_id}", token=resident)
    staff = []
    for username, password, secret in accounts:
        body = {"username": username, "password": password,
                "one_time_password": code_at(secret, _now())}  # fmt: skip
        staff.append(_call(base, "POST", "/api/v1/auth/staff", body)["access_token"])
    venue = _call(base, "GET", "/api/v1/venues", token=staff[0])[0]["id"]
    return {"resident": resident, "person": person_id, "token": code["token"], "staff": staff,
            "venue": venue}  # fmt: skip


def _now() -> Any:
    from datetime import UTC, datetime  # noqa: PLC0415

    return datetime.now(UTC)


def _targets(held: dict[str, Any]) -> dict[str, dict[str, Any]]:
    show = f"/api/v1/codes/{held['person']}"
    return {
        "`GET /healthz` (floor)": {"method": "GET", "path": "/healthz", "tokens": []},
        "show a code (phone draws the QR)": {
            "method": "GET", "path": show, "tokens": [held["resident"]],
        },
        "show a code with `?qr=png`": {
            "method": "GET", "path": show + "?qr=png", "tokens": [held["resident"]],
        },
        "verify a code": {
            "method": "POST", "path": "/api/v1/verify", "tokens": held["staff"],
            "body": json.dumps({"token": held["token"], "venue_id": held["venue"]}),
        },
    }  # fmt: skip


@contextmanager
def _server(env: dict[str, str], workers: int) -> Iterator[str]:
    port = _free_port()
    command = [str(BIN / "healthcode"), "serve", "--port", str(port), "--no-schedule"]
    server = subprocess.Popen(  # noqa: S603 - our own command
        [*command, "--workers", str(workers)], env=env, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{base}/healthz")  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.3)
        time.sleep(3.0 if workers > 1 else 0.5)  # every worker started, not only the first
        yield base
    finally:
        server.terminate()
        server.wait(timeout=60)


def _lua(target: dict[str, Any]) -> str:
    tokens = ", ".join(f'"{token}"' for token in target["tokens"])
    body = f"[[{target['body']}]]" if "body" in target else "nil"
    return f"""
tokens = {{{tokens}}}
counter = 0
request = function()
  local headers = {{["Content-Type"] = "application/json"}}
  if #tokens > 0 then
    counter = counter + 1
    headers["Authorization"] = "Bearer " .. tokens[(counter % #tokens) + 1]
  end
  return wrk.format("{target["method"]}", nil, headers, {body})
end
"""


class _LockSampler:
    """Samples the benchmark database's active backends and what they wait on."""

    def __init__(self, env: dict[str, str]) -> None:
        self._url = env["HEALTHCODE_DATABASE_URL"].replace("+psycopg", "")
        self._name = self._url.rsplit("/", 1)[1]
        self._stop = threading.Event()
        self._counts: Counter[str] = Counter()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        query = (
            "SELECT coalesce(wait_event_type, 'CPU'), coalesce(wait_event, '') "
            "FROM pg_stat_activity "
            "WHERE datname = %s AND state = 'active' AND pid <> pg_backend_pid()"
        )
        with psycopg.connect(self._url, autocommit=True) as connection:
            while not self._stop.wait(SAMPLE_SECONDS):
                for kind, event in connection.execute(query, (self._name,)):
                    self._counts[f"{kind}:{event}" if event else kind] += 1

    def stop(self) -> str:
        self._stop.set()
        self._thread.join()
        busy = sum(self._counts.values())
        if not busy:
            return "no active backend sampled"
        # Heavyweight locks (rows, tables, another transaction's id) are what "waiting on locks"
        # means; LWLocks are PostgreSQL's internal latches (WAL buffers and the like), shown apart.
        locks = sum(n for kind, n in self._counts.items() if kind.startswith("Lock:"))
        top = ", ".join(f"{kind} {100 * n / busy:.0f} %" for kind, n in self._counts.most_common(3))
        return f"{100 * locks / busy:.1f} % ({busy} samples; {top})"


def _updates(env: dict[str, str]) -> tuple[int, int]:
    """Rows updated and inserted so far in the benchmark database's tables."""
    url = env["HEALTHCODE_DATABASE_URL"].replace("+psycopg", "")
    with psycopg.connect(url, autocommit=True) as connection:
        # Backends publish their counts about once a second once idle: wait for them.
        time.sleep(2.0)
        row = connection.execute(
            "SELECT coalesce(sum(n_tup_upd), 0), coalesce(sum(n_tup_ins), 0) "
            "FROM pg_stat_user_tables"
        ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _print(
    database: str,
    workers: int,
    name: str,
    row: dict[str, float],
    floor: float,
    waits: str | None,
    updated: tuple[int, int] | None,
) -> None:
    requests = max(row["requests"], 1)
    per_request = (
        "–"
        if updated is None
        else f"{updated[0] / requests:.3f} ({updated[1] / requests:.2f} inserted)"
    )
    print(f"| {database} | {workers} | {name} | {row['rps']:,.0f} | {row['rps'] / floor:.2f} "
          f"| {row['p50']:.1f} | {row['p99']:.1f} | {row['errors']:.0f} | {waits or '–'} "
          f"| {per_request} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

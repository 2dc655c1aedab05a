"""Benchmark: `PUT /api/v1/risk-areas` answers before the re-evaluation its change starts.

    .venv/bin/python bench/area_api.py [--persons 20000] [--seed 1] [--touched 10000]
        [--database sqlite|postgresql] [--postgres-url URL]

Generates the population (bench/population.py) into bench/out/area-api-<persons>/ unless it is
there already, imports its events with `healthcode import events` into a fresh database (the
embedded SQLite by default), then, in this process, serves the app (FastAPI's TestClient, the same
process and threads a `healthcode serve` worker has, no scheduler) and, signed in as a rule
approver, PUTs a risk-area list rating Hangzhou districts medium, enough of them to reach
`--touched` persons (bench/import_population.py's `area_change`). Measured:

- **the answer**: the PUT's round trip: reading the batch, recording the ratings, finding the
  persons who stayed there and queueing them for the job, all in the request's transaction;
- **the job**: from the answer until `GET /api/v1/area-jobs/{job}` says finished (polled every
  0.1 s), the job running in the server's background thread (web/population_work.py).

Before this change the request held both (the job ran inside it): their sum is that answer. The
ratio answer / (answer + job) is the claim. Markdown on stdout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from fastapi.testclient import TestClient

from assess_population import cpu_model, healthcode_command
from healthcode.clock import FrozenClock
from healthcode.domain.roles import Role
from healthcode.security.totp import code_at
from healthcode.services.accounts import create_staff
from healthcode.services.messages import OutboxSender
from healthcode.services.runtime import Actor, open_runtime
from healthcode.settings import Settings
from healthcode.web import create_app
from import_population import (
    AREA_FROM,
    CLOCK,
    POSTGRES_ADMIN_URL,
    area_change,
    fresh_database,
    installation_env,
)
from province import ensure_generated

HERE = Path(__file__).resolve()
POLL = 0.1  # seconds between looks at the job's progress


def run(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False
    )
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1:] or ["no message"]
        raise SystemExit(f"{' '.join(command[-3:])} exited with {done.returncode}: {reason[0]}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--touched", type=int, default=10_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL)
    args = parser.parse_args()
    load = os.getloadavg()
    folder = HERE.parent / "out" / f"area-api-{args.persons}"
    folder.mkdir(parents=True, exist_ok=True)
    ensure_generated(folder, args.persons, args.seed)
    _, districts, reached = area_change(folder / "events.jsonl", args.touched, folder)
    workspace = folder / f"run-{args.database}"
    shutil.rmtree(workspace, ignore_errors=True)
    workspace.mkdir(parents=True)
    with fresh_database(args.database, workspace, args.postgres_url) as url:
        env = os.environ | installation_env(workspace, url)
        command = healthcode_command()
        for setup in (["keys", "init"], ["db", "upgrade"]):
            run([*command, *setup], env)
        print(f"importing {args.persons:,} persons' events …", file=sys.stderr)
        imported = run([*command, "import", "events", str(folder / "events.jsonl"), "--json"], env)
        answer, job, persons = put_and_wait(Settings.from_environment(env), districts)
    total = answer + job
    print(f"Population: {args.persons:,} persons (seed {args.seed}), {args.database}; events")
    print(f"imported in {imported:.1f} s. Area change: {', '.join(districts)} rated medium; their")
    print(f"trips reach {reached:,} persons (counted from the events file), the job {persons:,}.")
    after = os.getloadavg()
    print(f"CPU: {cpu_model()}; load average (1 min) {load[0]:.2f} before, {after[0]:.2f} after.\n")
    print("| | seconds | share of the old answer |")
    print("|---|--:|--:|")
    print(f"| the answer (PUT /api/v1/risk-areas) | {answer:.2f} | {answer / total:.3f} |")
    print(f"| the job, after the answer | {job:.2f} | {job / total:.3f} |")
    print(f"| before this change, the answer held both | {total:.2f} | 1 |")


def put_and_wait(settings: Settings, districts: list[str]) -> tuple[float, float, int]:
    """The PUT's round trip, then the time until its job has finished; the job's persons."""
    clock = FrozenClock(datetime.fromisoformat(CLOCK))
    runtime = open_runtime(settings, clock)
    with TestClient(create_app(settings, runtime, OutboxSender())) as client:
        with runtime.unit_of_work(Actor("bench", "security_admin", "bench")) as uow:
            staff = create_staff(uow, "bench-approver", [Role.RULE_APPROVER])
        signed_in = client.post(
            "/api/v1/auth/staff",
            json={
                "username": "bench-approver",
                "password": staff.password,
                "one_time_password": code_at(staff.totp_secret, clock.now()),
            },
        )
        signed_in.raise_for_status()
        headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        ratings = [
            {"region": district, "level": "medium", "effective_from": AREA_FROM}
            for district in districts
        ]
        started = time.perf_counter()
        answered = client.put("/api/v1/risk-areas", headers=headers, json=ratings)
        answer = time.perf_counter() - started
        answered.raise_for_status()
        jobs = answered.json()["jobs"]
        while True:
            shown = [
                client.get(f"/api/v1/area-jobs/{j['job']}", headers=headers).json() for j in jobs
            ]
            if all(progress["finished"] for progress in shown):
                break
            time.sleep(POLL)
        job = time.perf_counter() - started - answer
    runtime.engine.dispose()
    return answer, job, sum(progress["persons"] for progress in shown)


if __name__ == "__main__":
    main()

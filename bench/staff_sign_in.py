"""Benchmark: where a staff sign-in's time goes, and what it holds up (issue #14 item 7).

    .venv/bin/python bench/staff_sign_in.py [--rounds 7]

Loads a small demo into a temporary data directory (SQLite, its default) and serves it with
`healthcode serve` (one Uvicorn process, the scheduled jobs off). Measured in the same run, each
the median of `--rounds`:
- the floor: `GET /healthz` (no database, no session, no cryptography);
- argon2id verification alone, with the hasher's parameters (security/passwords.py);
- a staff sign-in over HTTP (`POST /api/v1/auth/staff`, a demo account and its TOTP code);
- a signed-in request (`GET /api/v1/auth/me`, audited) alone and while a staff sign-in is under
  way, and two staff sign-ins at once: what one person's sign-in costs everyone else.
Prints Markdown for bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from healthcode.security.passwords import hash_password, password_matches

BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as folder:
        env = os.environ | {"HEALTHCODE_DATA_DIR": folder, "HEALTHCODE_MESSAGE_SENDER": "outbox"}
        env.pop("HEALTHCODE_DATABASE_URL", None)
        demo = json.loads(_run([str(BIN / "healthcode"), "demo", "--persons", "40", "--json"], env))
        passwords = {a["login"]: a["password"] for a in demo["staff_accounts"]}
        port = _free_port()
        serve = [str(BIN / "healthcode"), "serve", "--port", str(port), "--no-schedule"]
        server = subprocess.Popen(serve, env=env, stderr=subprocess.DEVNULL)  # noqa: S603
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(base)
            rows = _measure(base, env, passwords, rounds)
        finally:
            server.terminate()
            server.wait(timeout=20)
    _report(rows, rounds)


def _measure(
    base: str, env: dict[str, str], passwords: dict[str, str], rounds: int
) -> list[tuple[str, float]]:
    floor = _median(rounds, lambda: _call(base, "GET", "/healthz"))
    stored = hash_password("a demo password")
    argon2 = _median(rounds, lambda: password_matches(stored, "a demo password"))
    # The TOTP code is read before the clock starts (a command of its own, ~1 s to start).
    author = _credentials(env, "author", passwords["author"])
    sign_in = _median(rounds, lambda: _sign_in(base, author))
    token = _sign_in(base, _credentials(env, "auditor", passwords["auditor"]))
    alone = _median(rounds, lambda: _call(base, "GET", "/api/v1/auth/me", token=token))
    beside: list[float] = []
    for _ in range(rounds):
        signing = threading.Thread(
            target=_sign_in, args=(base, env, "approver", passwords["approver"])
        )
        signing.start()
        time.sleep(0.02)  # the sign-in is in its argon2 verification by now
        started = time.perf_counter()
        _call(base, "GET", "/api/v1/auth/me", token=token)
        beside.append(time.perf_counter() - started)
        signing.join()
    pairs: list[float] = []
    for _ in range(rounds):
        both = [_credentials(env, login, passwords[login]) for login in ("hotline", "handler")]
        started = time.perf_counter()
        threads = [threading.Thread(target=_sign_in, args=(base, c)) for c in both]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        pairs.append(time.perf_counter() - started)
    return [
        ("floor: GET /healthz", floor),
        ("argon2id verification alone", argon2),
        ("staff sign-in (POST /api/v1/auth/staff)", sign_in),
        ("an audited request (GET /api/v1/auth/me)", alone),
        ("the same, while a staff sign-in is under way", statistics.median(beside)),
        ("two staff sign-ins at once, both done", statistics.median(pairs)),
    ]


def _credentials(env: dict[str, str], login: str, password: str) -> dict[str, str]:
    one_time = _run([str(BIN / "healthcode"), "demo-totp", login], env).strip()
    return {"username": login, "password": password, "one_time_password": one_time}


def _sign_in(base: str, credentials: dict[str, str]) -> str:
    answer = _call(base, "POST", "/api/v1/auth/staff", credentials)
    return str(answer["access_token"])


def _median(rounds: int, action: Any) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _call(base: str, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data, headers, method=method)  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
        return json.loads(answer.read() or b"null")


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)  # noqa: S603
    return done.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            _call(base, "GET", "/healthz")
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def _report(rows: list[tuple[str, float]], rounds: int) -> None:
    floor = rows[0][1]
    print(f"| what (median of {rounds}) | ms | × floor |")
    print("|---|---:|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds * 1000:.0f} | {seconds / floor:.0f} |")


if __name__ == "__main__":
    main()

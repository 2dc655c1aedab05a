"""Benchmark: requests per second over HTTP on loopback for showing a code and verifying one.

    .venv/bin/python bench/http_requests.py [--seconds 10] [--connections 16]

Needs `wrk` (Debian: `apt-get install wrk`). Loads a small demo into a temporary data directory,
starts `healthcode serve` (one Uvicorn process, the scheduled jobs off) pinned to CPU 0, and drives
it with wrk pinned to CPU 1, so the server has one core of its own. The floor is `/healthz`, the
same server answering with no database, no session and no cryptography, measured in the same run:
the ratios to it are the claim, not the absolute rates. Prints Markdown for bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
PHONE = "13800000001"  # the demo's first fixed resident, who applies for his own code
SELF = {"id_type": "resident_id", "id_number": "330106198506122133", "name": "陈晓明"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = os.environ | {"HEALTHCODE_DATA_DIR": folder, "HEALTHCODE_MESSAGE_SENDER": "outbox"}
        demo = json.loads(_run([str(BIN / "healthcode"), "demo", "--persons", "40", "--json"], env))
        port = _free_port()
        serve = [str(BIN / "healthcode"), "serve", "--port", str(port), "--no-schedule"]
        server = subprocess.Popen(  # noqa: S603 - our own command, pinned to CPU 0
            ["taskset", "-c", "0", *serve],  # noqa: S607 - taskset and wrk from PATH
            env=env,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(base)
            targets = _targets(base, env, demo)
            rows = [(name, _wrk(base, target, args)) for name, target in targets.items()]
        finally:
            server.terminate()
            server.wait(timeout=20)
    _report(rows, args)


def _targets(base: str, env: dict[str, str], demo: dict[str, Any]) -> dict[str, dict[str, Any]]:
    resident = _resident_token(base)
    applied = _call(base, "POST", "/api/v1/applications", SELF, token=resident)
    person_id = applied["person_id"]
    code = _call(base, "GET", f"/api/v1/codes/{person_id}", token=resident)
    checker = _staff_token(base, env, demo, "checker")
    venue = _call(base, "GET", "/api/v1/venues", token=checker)[0]["id"]
    return {
        "`GET /healthz` (floor)": {"method": "GET", "path": "/healthz"},
        "show a code: `GET /api/v1/codes/{id}` (sign + QR)": {
            "method": "GET", "path": f"/api/v1/codes/{person_id}", "token": resident,
        },
        "verify a code: `POST /api/v1/verify`": {
            "method": "POST", "path": "/api/v1/verify", "token": checker,
            "body": json.dumps({"token": code["token"], "venue_id": venue}),
        },
    }  # fmt: skip


def _resident_token(base: str) -> str:
    _call(base, "POST", "/api/v1/auth/sign-in-code", {"phone": PHONE})
    with urllib.request.urlopen(f"{base}/dev/outbox") as page:  # noqa: S310 - loopback
        found = re.search(r'class="outbox-body">[^<]*?(\d{6})', page.read().decode())
    assert found is not None, "no sign-in code in the outbox"  # noqa: S101
    signed_in = _call(base, "POST", "/api/v1/auth/resident", {"phone": PHONE, "code": found[1]})
    return str(signed_in["access_token"])


def _staff_token(base: str, env: dict[str, str], demo: dict[str, Any], login: str) -> str:
    password = next(a["password"] for a in demo["staff_accounts"] if a["login"] == login)
    otp = _run([str(BIN / "healthcode"), "demo-totp", login], env).strip()
    body = {"username": login, "password": password, "one_time_password": otp}
    return str(_call(base, "POST", "/api/v1/auth/staff", body)["access_token"])


def _wrk(
    base: str, target: dict[str, Any], args: argparse.Namespace, lua: str | None = None
) -> dict[str, float]:
    """One wrk run (its Lua script: `lua`, or one request as `target` says); the figures."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua or _lua(target))
    load = ["wrk", "-t1", f"-c{args.connections}", f"-d{args.seconds}s", "--latency"]
    command = ["taskset", "-c", "1", *load, "-s", script.name, base + target["path"]]
    output = _run(command, dict(os.environ))
    os.unlink(script.name)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),  # type: ignore[index]
        "requests": float(re.search(r"(\d+) requests in", output)[1]),  # type: ignore[index]
        "p50": _millis(re.search(r"50%\s+([\d.]+\w+)", output)[1]),  # type: ignore[index]
        "p99": _millis(re.search(r"99%\s+([\d.]+\w+)", output)[1]),  # type: ignore[index]
        "errors": float(non_2xx[1]) if non_2xx else 0.0,
    }


def _lua(target: dict[str, Any]) -> str:
    lines = [f'wrk.method = "{target["method"]}"']
    if "token" in target:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {target["token"]}"')
    if "body" in target:
        lines.append('wrk.headers["Content-Type"] = "application/json"')
        lines.append(f"wrk.body = [[{target['body']}]]")
    return "\n".join(lines) + "\n"


def _millis(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _report(rows: list[tuple[str, dict[str, float]]], args: argparse.Namespace) -> None:
    floor = rows[0][1]["rps"]
    print(f"wrk, 1 thread, {args.connections} connections, {args.seconds} s each; "
          "server: one Uvicorn process on CPU 0, wrk on CPU 1\n")  # fmt: skip
    print("| request | requests/s | × floor | p50 ms | p99 ms | non-2xx |")
    print("|---|---:|---:|---:|---:|---|")
    for name, row in rows:
        errors = "yes" if row["errors"] else "no"
        print(f"| {name} | {row['rps']:,.0f} | {row['rps'] / floor:.2f} | {row['p50']:.1f} "
              f"| {row['p99']:.1f} | {errors} |")  # fmt: skip


def _call(base: str, method: str, path: str, body: object = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data, headers, method=method)  # noqa: S310
    with urllib.request.urlopen(request) as response:  # noqa: S310 - loopback
        return json.loads(response.read() or b"null")


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)  # noqa: S603
    return done.stdout


def _wait(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/healthz")  # noqa: S310
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


if __name__ == "__main__":
    main()

"""Several real `healthcode serve` processes sharing state through Redis (issue #13, ADR 0019).

PostgreSQL and Redis only: this is what several processes need. Each test has a database and a
Redis namespace of its own (its keys deleted afterwards; the shared Redis is never flushed). The
faults are real and private: a `redis-server` of the test's own on a free port, stopped and started
again, and a TCP relay in front of PostgreSQL that drops every connection and refuses new ones
(the shared PostgreSQL itself is never stopped). Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from builders import operator, resident_id
from healthcode.db.migrate import upgrade
from healthcode.db.schema import limit_counters
from healthcode.domain.areas import RiskLevel
from healthcode.domain.facts import (
    Fact,
    Person,
    Source,
    Symptom,
    Symptoms,
    SymptomsAction,
    Vaccination,
)
from healthcode.domain.identity import IdType
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.security.keyring import init_keyring
from healthcode.security.totp import code_at
from healthcode.services.accounts import create_staff
from healthcode.services.checkpoint.venues import register_venue
from healthcode.services.codes.issuing import issue_code
from healthcode.services.facts import record_facts
from healthcode.services.runtime import Runtime, open_runtime
from healthcode.settings import Settings
from machine_redis import REDIS_URL, require_redis

ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

START_WAIT = 90.0  # seconds a server may take to answer /healthz on a busy 2-core machine
RECOVERY = 10.0  # issue #13: requests succeed again within this after a dependency returns
PERSON = Person(IdType.RESIDENT_ID, resident_id(seq="301"), "张小三", "13912345678", "CHN")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Installation:
    """One installation's settings, as every process of it gets them from the environment."""

    data_dir: Path
    database_url: str
    redis_url: str
    namespace: str = field(default_factory=lambda: f"test-serve-{uuid.uuid4().hex[:10]}")

    def environment(self, database_url: str | None = None) -> dict[str, str]:
        return {
            **os.environ,
            "HEALTHCODE_DATA_DIR": str(self.data_dir),
            "HEALTHCODE_DATABASE_URL": database_url or self.database_url,
            "HEALTHCODE_REDIS_URL": self.redis_url,
            "HEALTHCODE_TASK_NAMESPACE": self.namespace,
        }

    def runtime(self) -> Runtime:
        return open_runtime(Settings.from_environment(self.environment()))


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> bool:
        """SIGTERM, as a supervisor stops it; True when it shut down gracefully (Uvicorn finishes
        requests in flight, then exits with the signal it was given, or 0)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the graceful way a supervisor stops it
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        finished = self.log.read_bytes().count(b"Finished server process")
        return self.process.returncode in (0, -signal.SIGTERM) and finished >= 1


def start_server(
    installation: Installation, tmp: Path, *, workers: int = 1, database_url: str | None = None
) -> Server:
    port = _free_port()
    log = tmp / f"serve-{port}.log"
    command = [sys.executable, "-m", "healthcode", "serve", "--port", str(port), "--no-schedule"]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own command, no shell
            [*command, "--workers", str(workers)],
            env=installation.environment(database_url),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + START_WAIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    pytest.fail("the server did not answer /healthz in time")


@pytest.fixture
def installation(database_url: str, tmp_path: Path) -> Iterator[Installation]:
    require_redis()
    data_dir = tmp_path / "data"
    init_keyring(data_dir / "keys", datetime.now(UTC))
    held = Installation(data_dir, database_url, REDIS_URL)
    runtime = held.runtime()
    upgrade(runtime.engine)
    runtime.engine.dispose()
    yield held
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{held.namespace}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def staff_account(runtime: Runtime, *roles: Role) -> tuple[str, str, str]:
    """A new staff member: (id, username, a sign-in body maker's password and TOTP secret)."""
    username = f"staff{uuid.uuid4().hex[:8]}"
    with runtime.unit_of_work(operator("security-admin")) as uow:
        new = create_staff(uow, username, roles, None)
    return new.account.id, username, f"{new.password}\n{new.totp_secret}"


def sign_in(server: Server, username: str, secret: str) -> dict[str, str]:
    password, totp = secret.split("\n")
    response = httpx.post(
        f"{server.url}/api/v1/auth/staff",
        json={
            "username": username,
            "password": password,
            "one_time_password": code_at(totp, datetime.now(UTC)),
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def me(server: Server, headers: dict[str, str]) -> int:
    return httpx.get(f"{server.url}/api/v1/auth/me", headers=headers, timeout=30).status_code


@ON_POSTGRESQL
def test_sign_out_and_disabling_take_effect_on_the_next_request_in_every_process__D2(
    installation: Installation, tmp_path: Path
) -> None:
    runtime = installation.runtime()
    first, second = start_server(installation, tmp_path), start_server(installation, tmp_path)
    try:
        _, username, secret = staff_account(runtime, Role.CHECKPOINT)
        headers = sign_in(first, username, secret)
        assert (me(first, headers), me(second, headers)) == (200, 200)  # both now hold it
        out = httpx.post(f"{first.url}/api/v1/auth/sign-out", headers=headers, timeout=30)
        assert out.status_code == 204
        assert me(second, headers) == 401  # at once, not after the 10 s a process cached it
        staff_id, username, secret = staff_account(runtime, Role.CHECKPOINT)
        _, admin_name, admin_secret = staff_account(runtime, Role.SECURITY_ADMIN)
        headers = sign_in(second, username, secret)
        assert (me(first, headers), me(second, headers)) == (200, 200)
        admin = sign_in(first, admin_name, admin_secret)
        disabled = httpx.post(
            f"{second.url}/api/v1/admin/staff/{staff_id}/disable", headers=admin, timeout=30
        )
        assert disabled.status_code == 200, disabled.text
        assert me(first, headers) == 401
    finally:
        assert first.stop()
        assert second.stop()
        runtime.engine.dispose()


@ON_POSTGRESQL
def test_a_throttle_counts_across_processes_in_redis_and_writes_no_row__D2(
    installation: Installation, tmp_path: Path
) -> None:
    """60 verifications a minute per staff member (ADR 0008), wherever the requests land."""
    runtime = installation.runtime()
    token = _green_code(runtime)
    first, second = start_server(installation, tmp_path), start_server(installation, tmp_path)
    try:
        _, username, secret = staff_account(runtime, Role.CHECKPOINT)
        headers = sign_in(first, username, secret)
        body = {"token": token, "venue_id": "mall-1"}
        answers = [
            httpx.post(f"{server.url}/api/v1/verify", json=body, headers=headers, timeout=30)
            for _ in range(30)
            for server in (first, second)
        ]
        assert {answer.status_code for answer in answers} == {200}
        assert {answer.json()["decision"] for answer in answers} == {"allow"}
        for server in (first, second):
            refused = httpx.post(f"{server.url}/api/v1/verify", json=body, headers=headers)
            assert refused.status_code == 429
            assert refused.json()["error"]["code"] == "rate_limited"
        with runtime.engine.connect() as connection:
            # Sign-in counted its one attempt in Redis too: no counter row at all.
            assert connection.scalar(select(func.count()).select_from(limit_counters)) == 0
    finally:
        first.stop()
        second.stop()
        runtime.engine.dispose()


@ON_POSTGRESQL
def test_two_pre_forked_workers_serve_and_stop_gracefully(
    installation: Installation, tmp_path: Path
) -> None:
    server = start_server(installation, tmp_path, workers=2)
    try:
        wait_for(
            lambda: server.log.read_bytes().count(b"Application startup complete") == 2,
            START_WAIT,
            "the second worker did not start",
        )
        assert b"Started parent process" in server.log.read_bytes()
        answers = [httpx.get(f"{server.url}/healthz", timeout=10) for _ in range(10)]
        assert {answer.status_code for answer in answers} == {200}
    finally:
        assert server.stop()
    # Both workers shut down (requests in flight finished), then the parent.
    log = server.log.read_bytes()
    assert log.count(b'"event": "Finished server process') == 2
    assert b'"event": "Stopping parent process' in log


def test_embedded_default_refuses_several_workers_without_redis(tmp_path: Path) -> None:
    environment = {**os.environ, "HEALTHCODE_DATA_DIR": str(tmp_path)}
    environment.pop("HEALTHCODE_REDIS_URL", None)
    init_keyring(tmp_path / "keys", datetime.now(UTC))
    done = subprocess.run(
        [sys.executable, "-m", "healthcode", "serve", "--workers", "2", "--no-schedule"],
        env=environment,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert b"HEALTHCODE_REDIS_URL" in done.stderr
    assert b"Traceback" not in done.stderr


# --- faults: a private Redis, and a relay in front of PostgreSQL -----------------------------


class PrivateRedis:
    """A redis-server of this test's own, without persistence, on a free port."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self._command = [binary, "--save", "", "--appendonly", "no", "--dir", str(folder)]
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [*self._command, "--port", str(self.port), "--bind", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        wait_for(lambda: _answers(client), 20, "the private redis-server did not start")
        client.close()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=20)
        self._process = None


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class Relay:
    """A TCP relay to PostgreSQL: `cut()` drops every connection and refuses new ones."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._open = threading.Event()
        self._open.set()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._open.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, target), daemon=True).start()

    def cut(self) -> None:
        self._open.clear()
        with self._lock:
            for held in self._sockets:
                _close(held)
            self._sockets.clear()

    def mend(self) -> None:
        self._open.set()

    def close(self) -> None:
        self.cut()
        self._listener.close()


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        _close(source)
        _close(target)


def _close(held: socket.socket) -> None:
    with contextlib.suppress(OSError):
        held.shutdown(socket.SHUT_RDWR)
    held.close()


def wait_for(check: Callable[[], bool], seconds: float, failure: str) -> float:
    """Seconds until `check` held; fails the test after `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.2)
    pytest.fail(failure)


def _green_code(runtime: Runtime) -> str:
    """A green person on record, a mall to check them at, and a phone code for them."""
    vaccinated = Fact(
        "v-serve-1",
        Source.HEALTH,
        PERSON,
        datetime.now(UTC) - timedelta(days=20),
        Vaccination(1, "灭活疫苗"),
    )
    with runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [vaccinated])
    with runtime.unit_of_work(operator("system-admin")) as uow:
        register_venue(uow, "mall-1", "湖滨银泰", Venue.MALL, "330106", RiskLevel.MEDIUM)
    with runtime.unit_of_work(operator("operator", "code_issue")) as uow:
        return issue_code(uow, PERSON.key).text


@ON_POSTGRESQL
def test_verification_fails_closed_when_redis_or_the_database_is_down_and_recovers__D3(
    installation: Installation, tmp_path: Path
) -> None:
    private = PrivateRedis(tmp_path)
    private.start()
    installation.redis_url = private.url
    url = make_url(installation.database_url)
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    relayed = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    runtime = installation.runtime()
    token = _green_code(runtime)
    server = start_server(installation, tmp_path, database_url=relayed)
    try:
        _, username, secret = staff_account(runtime, Role.CHECKPOINT)
        headers = sign_in(server, username, secret)
        body = {"token": token, "venue_id": "mall-1"}

        def verified() -> httpx.Response:
            return httpx.post(f"{server.url}/api/v1/verify", json=body, headers=headers, timeout=30)

        assert verified().json()["decision"] == "allow"

        # Redis down: the database answers (sessions, colours, throttles), nothing is guessed.
        private.stop()
        answer = verified()
        assert answer.status_code == 200, answer.text
        assert (answer.json()["decision"], answer.json()["colour"]) == ("allow", "green")
        # A writer of colours that cannot mark them in flight rolls back: no stale colour hides.
        # (A fact that changes the code: one that leaves it as it was writes no state, ADR 0013.)
        cough = Fact(
            "s-serve-1",
            Source.RESIDENT,
            PERSON,
            datetime.now(UTC),
            Symptoms(SymptomsAction.REPORT, (Symptom.FEVER,)),
        )
        with (
            pytest.raises(Exception, match="shared state"),
            runtime.unit_of_work(operator()) as uow,
        ):
            record_facts(uow, [cough])
        private.start()  # empty, as a restarted Redis without persistence is
        wait_for(lambda: verified().status_code == 200, RECOVERY, "not answering 10 s after Redis")

        # PostgreSQL unreachable: verification fails closed (503, retry), never an "allow".
        relay.cut()
        down = verified()
        assert down.status_code == 503
        assert down.json()["error"]["code"] == "service_unavailable"
        assert down.headers["retry-after"]
        assert "allow" not in down.text
        relay.mend()
        took = wait_for(
            lambda: verified().status_code == 200, RECOVERY, "not answering 10 s after PostgreSQL"
        )
        assert took < RECOVERY
        assert verified().json()["decision"] == "allow"
    finally:
        server.stop()
        relay.close()
        private.stop()
        runtime.engine.dispose()

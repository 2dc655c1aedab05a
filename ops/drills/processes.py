"""The private servers of a drill, on loopback and free ports, in a temporary folder of their own:
a PostgreSQL cluster (initdb, pg_ctl), a Redis, a Prometheus with the repository's alert rules, and
HealthCode itself (`healthcode serve`). The shared servers of the machine are never touched.

PostgreSQL refuses to run as root; when the drill runs as root, the cluster's commands run as the
unprivileged account `postgres` (HEALTHCODE_DRILL_PG_USER to choose another) through `runuser`.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, TextIO

ROOT: Final = Path(__file__).resolve().parents[2]
ALERT_RULES: Final = ROOT / "ops" / "prometheus" / "alerts.yml"
METRICS_TOKEN: Final = "drill-scrape-token"  # noqa: S105 - a private server's throwaway credential
START_SECONDS: Final = 60.0


class DrillError(RuntimeError):
    """A drill could not set up, inject or measure; the message says which step."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until(what: str, check: Any, seconds: float = START_SECONDS, step: float = 0.1) -> float:
    """Poll `check()` until it is true; the seconds it took. DrillError after `seconds`."""
    started = time.monotonic()
    while True:
        if check():
            return time.monotonic() - started
        if time.monotonic() - started > seconds:
            raise DrillError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(step)


def http(
    url: str,
    body: object = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 5.0,
) -> tuple[int, bytes]:
    """One request; (status, body), status 0 when nothing answered."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=dict(headers or {}))  # noqa: S310
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), bytes(error.read())
    except (OSError, TimeoutError):
        return 0, b""


def find_tool(name: str) -> str | None:
    """A command on PATH, or PostgreSQL's in Debian's versioned folder (not on PATH there)."""
    return shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None
    )


def _tool(name: str) -> str:
    found = find_tool(name)
    if found is None:
        raise DrillError(f"{name} is not installed")
    return found


def _log(path: Path) -> TextIO:
    return path.open("a", encoding="utf-8")


class PostgresCluster:
    """A cluster of its own: `init`, `start`, `stop` (fast: open connections are cut), `url`."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.data = folder / "pgdata"
        self.port = port or free_port()
        self.log = folder / "postgres.log"
        self._user = _unprivileged_user()

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        prefix = [] if self._user is None else ["runuser", "-u", self._user, "--"]
        done = subprocess.run(  # noqa: S603 - PostgreSQL's own tools on a private cluster
            [*prefix, *command], capture_output=True, text=True, timeout=180, check=False
        )
        if done.returncode != 0:
            raise DrillError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-500:]}")
        return done

    def _own(self, path: Path) -> None:
        if self._user is not None:
            account = pwd.getpwnam(self._user)
            os.chown(path, account.pw_uid, account.pw_gid)

    def init(self, settings: Mapping[str, str] | None = None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._own(self.folder)
        initdb = _tool("initdb")
        self._run(
            initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "-N"
        )
        self.configure(settings or {})

    def configure(self, settings: Mapping[str, str]) -> None:
        """Lines appended to postgresql.conf: the last value of a setting wins."""
        values = {
            "port": str(self.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.folder}'",
            **settings,
        }
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in values.items())

    def start(self) -> None:
        pg_ctl = _tool("pg_ctl")
        self._run(pg_ctl, "-D", str(self.data), "-l", str(self.log), "-w", "-t", "120", "start")

    def stop(self, mode: str = "fast") -> None:
        pg_ctl = _tool("pg_ctl")
        self._run(pg_ctl, "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def ready(self) -> bool:
        """PostgreSQL accepts connections (pg_isready)."""
        try:
            self.tool("pg_isready", "-q")
        except DrillError:
            return False
        return True

    def pids(self) -> list[int]:
        """The postmaster and every process it started (backends, writers)."""
        text = (self.data / "postmaster.pid").read_text(encoding="utf-8")
        postmaster = int(text.split()[0])
        children = []
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                fields = Path(stat).read_text(encoding="utf-8").rsplit(")", 1)[1].split()
            except OSError:
                continue  # the process ended meanwhile
            if int(fields[1]) == postmaster:
                children.append(int(Path(stat).parent.name))
        return [postmaster, *children]

    def limit_file_size(self, size: int | None) -> None:
        """Set the soft file-size limit of every process of the cluster (None: no limit), as the
        cluster's account: root may not change another account's limits without CAP_SYS_RESOURCE,
        which containers usually drop."""
        value = "unlimited" if size is None else str(size)
        for pid in self.pids():
            with contextlib.suppress(DrillError):  # a backend that ended meanwhile
                self._run(_tool("prlimit"), "--pid", str(pid), f"--fsize={value}:unlimited")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def tool(self, name: str, *arguments: str) -> subprocess.CompletedProcess[str]:
        """Another PostgreSQL client tool (pg_basebackup, psql) against this cluster."""
        path = _tool(name)
        return self._run(
            path, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", *arguments
        )

    def own_tree(self, path: Path) -> None:
        """Give a folder made by the drill to the cluster's account (for a restore into it)."""
        self._own(path)
        for child in path.rglob("*"):
            self._own(child)

    def close(self) -> None:
        if self.running():
            with contextlib.suppress(DrillError):
                self.stop("immediate")


def _unprivileged_user() -> str | None:
    if os.geteuid() != 0:
        return None
    return os.environ.get("HEALTHCODE_DRILL_PG_USER", "postgres")


class Daemon:
    """A server process of the drill's own, stopped by its process id."""

    def __init__(self, name: str, command: Sequence[str], folder: Path, env: Mapping[str, str]):
        self.name = name
        self._command = list(command)
        self._folder = folder
        self._env = dict(env)
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with _log(self._folder / f"{self.name}.log") as log:
            self._process = subprocess.Popen(  # noqa: S603 - the drill's own servers
                self._command, stdout=log, stderr=log, env=self._env, cwd=self._folder
            )

    @property
    def pid(self) -> int:
        if self._process is None:
            raise DrillError(f"{self.name} is not running")
        return self._process.pid

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._process = None


class RedisServer(Daemon):
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        command = [
            _tool("redis-server"),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ]
        super().__init__("redis", command, folder, os.environ)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        super().start()
        wait_until("redis to answer", self._answers, 20)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class HealthCodeServer(Daemon):
    """`healthcode serve` on a data folder and database of the drill, with the scrape credential."""

    def __init__(self, folder: Path, database_url: str, env: Mapping[str, str] | None = None):
        self.port = free_port()
        self.data_dir = folder / "data"
        self.env = {
            **os.environ,
            "HEALTHCODE_DATA_DIR": str(self.data_dir),
            "HEALTHCODE_DATABASE_URL": database_url,
            "HEALTHCODE_METRICS_TOKEN": METRICS_TOKEN,
            "HEALTHCODE_MESSAGE_SENDER": "none",
            "HEALTHCODE_ACTOR": "drill",
            **(env or {}),
        }
        folder.mkdir(parents=True, exist_ok=True)
        command = [
            str(healthcode_command()),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--interval",
            "2",
        ]
        super().__init__("healthcode", command, folder, self.env)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(  # noqa: S603 - this repository's own command
            [str(healthcode_command()), *arguments],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise DrillError(f"healthcode {arguments[0]} failed: {done.stderr.strip()[-500:]}")
        return done

    def start(self) -> None:
        super().start()
        wait_until("healthcode serve to answer", lambda: http(self.url + "/healthz")[0] == 200)

    def metrics(self) -> str:
        status, body = http(
            self.url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
        return body.decode() if status == 200 else ""


def healthcode_command() -> Path:
    """The `healthcode` of the interpreter running the drill (the project's .venv)."""
    command = Path(sys.executable).parent / "healthcode"
    if not command.exists():
        raise DrillError(f"no healthcode command beside {sys.executable}: run `make install`")
    return command


class Prometheus(Daemon):
    """Debian's Prometheus scraping one HealthCode server with the repository's alert rules."""

    def __init__(self, folder: Path, target: HealthCodeServer, interval: float) -> None:
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        config = {
            "global": {
                "scrape_interval": f"{interval:g}s",
                "evaluation_interval": f"{interval:g}s",
            },
            "rule_files": [str(ALERT_RULES)],
            "scrape_configs": [
                {
                    "job_name": "healthcode",
                    "scrape_timeout": f"{interval:g}s",
                    "authorization": {"type": "Bearer", "credentials": METRICS_TOKEN},
                    "static_configs": [{"targets": [f"127.0.0.1:{target.port}"]}],
                }
            ],
        }
        (folder / "prometheus.yml").write_text(json.dumps(config), encoding="utf-8")
        command = [
            _tool("prometheus"),
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--log.level=warn",
        ]
        super().__init__("prometheus", command, folder, os.environ)

    def start(self) -> None:
        super().start()
        url = f"http://127.0.0.1:{self.port}/-/ready"
        wait_until("prometheus to be ready", lambda: http(url)[0] == 200)

    def alert_states(self) -> dict[str, str]:
        """Each alert now pending or firing, by name (firing wins)."""
        status, body = http(f"http://127.0.0.1:{self.port}/api/v1/alerts")
        if status != 200:
            return {}
        states: dict[str, str] = {}
        for alert in json.loads(body)["data"]["alerts"]:
            name = alert["labels"]["alertname"]
            if states.get(name) != "firing":
                states[name] = alert["state"]
        return states

    def scraped(self) -> bool:
        """The target was scraped and answered."""
        query = f"http://127.0.0.1:{self.port}/api/v1/query?query=up"
        status, body = http(query)
        if status != 200:
            return False
        results = json.loads(body)["data"]["result"]
        return any(result["value"][1] == "1" for result in results)

"""`healthcode serve` stopped as `make run` is: Ctrl-C (SIGINT) or SIGTERM is a clean exit."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from healthcode.db.engine import connect
from healthcode.db.migrate import upgrade
from healthcode.security.keyring import init_keyring


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_serving(url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, server.communicate()[1]
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - loopback
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail("the server did not answer /healthz within a minute")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stopped_server_exits_cleanly_so_make_reports_no_error(
    tmp_path: Path, stop: signal.Signals
) -> None:
    init_keyring(tmp_path / "keys", datetime.now(UTC))
    engine = connect(f"sqlite:///{tmp_path / 'healthcode.db'}")
    upgrade(engine)
    engine.dispose()
    port = free_port()
    environment = {**os.environ, "HEALTHCODE_DATA_DIR": str(tmp_path)}
    environment.pop("HEALTHCODE_DATABASE_URL", None)
    server = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "healthcode", "serve", "--no-schedule", "--port", str(port)],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/healthz", server)
        server.send_signal(stop)
        _, errors = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    # Died of the signal, make would print "Interrupt" or "Error 143"; 0 is a stop asked for.
    assert server.returncode == 0, errors
    assert "Application shutdown complete" in errors
    assert "Traceback" not in errors

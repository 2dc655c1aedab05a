"""Browser tests against the real server: Uvicorn on a free loopback port, a new SQLite database
with fresh keys, the real clock (the browser checks codes against its own), the demo's outbox."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn

from e2e.browser import browser_fixture, page_fixture, playwright_fixture  # noqa: F401
from healthcode.db.migrate import upgrade
from healthcode.security.keyring import init_keyring
from healthcode.services.runtime import Runtime, open_runtime
from healthcode.settings import Settings
from healthcode.web import create_app


@dataclass(frozen=True)
class LiveServer:
    url: str
    runtime: Runtime


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'healthcode.db'}",
        message_sender="outbox",
    )
    init_keyring(settings.keys_dir, datetime.now(UTC))
    runtime = open_runtime(settings)
    upgrade(runtime.engine)
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, runtime), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the web server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", runtime)
    server.should_exit = True
    thread.join(timeout=10)
    runtime.engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port

"""How the web application is served: Uvicorn's server for which a stop that was asked for is a
clean exit, and the app each worker process builds for itself.

Uvicorn shuts down gracefully on Ctrl-C (SIGINT) or SIGTERM, then raises the same signal again so
that the process dies of it. Under `make run` that death is what make reports as
`make: *** [Makefile: run] Interrupt` or `Error 143`, as if the server had failed. Here the
stop ends the process with status 0 once the shutdown is done: nothing failed.

With `serve --workers N` each worker builds its app from the environment: its own runtime (so its
own PostgreSQL connection pool and Redis client), nothing shared in memory.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Final

import uvicorn
from fastapi import FastAPI

from healthcode.settings import Settings
from healthcode.web.app import create_app

STOPS: Final = (signal.SIGINT, signal.SIGTERM)


class CleanStopServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Signals can only be listened to from the main thread (tests run servers in others).
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {stop: signal.signal(stop, self.handle_exit) for stop in STOPS}
        try:
            yield
        finally:
            for stop, handler in original.items():
                signal.signal(stop, handler)


def app_from_environment() -> FastAPI:
    """Uvicorn's factory for `healthcode serve --workers N` (each worker calls it once)."""
    return create_app(Settings.from_environment())

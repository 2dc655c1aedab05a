"""How the web application is served: Uvicorn's server for which a stop that was asked for is a
clean exit, and the app each worker process builds for itself.

Uvicorn shuts down gracefully on Ctrl-C (SIGINT) or SIGTERM, then raises the same signal again so
that the process dies of it. Under `make run` that death is what make reports as
`make: *** [Makefile: run] Interrupt` or `Error 143`, as if the server had failed. Here the
stop ends the process with status 0 once the shutdown is done: nothing failed.

With `serve --workers N` each worker builds its app from the environment: its own runtime (so its
own PostgreSQL connection pool and Redis client), nothing shared in memory. The supervisor's
listening socket is made here, not by `uvicorn.run`, so that its connections get TCP_NODELAY
(`serve_in_workers`).
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Iterator
from typing import Final

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

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


def tcp_listener(config: uvicorn.Config) -> socket.socket:
    """The listening socket Uvicorn binds for its workers, marked as TCP.

    `Config.bind_socket` leaves the socket's protocol at 0 (Uvicorn issue #3149). Accepted
    connections inherit it, and asyncio turns Nagle's algorithm off (TCP_NODELAY) only on sockets
    whose protocol is IPPROTO_TCP; so with several workers every keep-alive response waited about
    40 ms for the client's delayed ACK, and two processes served a quarter of what one did."""
    bound = config.bind_socket()
    if bound.family not in (socket.AF_INET, socket.AF_INET6):
        return bound
    listener = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
    listener.set_inheritable(True)  # handed to the worker processes, as bind_socket's was
    return listener


def serve_in_workers(config: uvicorn.Config) -> None:
    """`uvicorn.run` for `workers > 1`, on a listener whose connections get TCP_NODELAY."""
    listener = tcp_listener(config)
    try:
        Multiprocess(config, sockets=[listener]).run()
    except KeyboardInterrupt:  # the supervisor has stopped its workers: a clean stop
        pass
    finally:
        listener.close()

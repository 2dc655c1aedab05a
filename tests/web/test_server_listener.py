"""`serve --workers N` listens on a socket marked TCP, so its connections get TCP_NODELAY.

Uvicorn's own listener for workers leaves the protocol at 0 (Uvicorn issue #3149); asyncio then
leaves Nagle's algorithm on for every accepted connection, and each keep-alive response waits for
the client's delayed ACK (bench/README.md, "serving the peak": two processes served a quarter of
what one did).
"""

from __future__ import annotations

import asyncio
import socket
import threading

import uvicorn

from healthcode.web.server import tcp_listener


def test_connections_accepted_on_the_workers_listener_have_nagle_off() -> None:
    config = uvicorn.Config(
        "healthcode.web.server:app_from_environment",
        factory=True,
        host="127.0.0.1",
        port=0,
        log_config=None,
    )
    listener = tcp_listener(config)
    try:
        assert listener.proto == socket.IPPROTO_TCP
        assert listener.get_inheritable()  # handed to the worker processes
        assert _nodelay_of_an_accepted_connection(listener) == 1
    finally:
        listener.close()


def _nodelay_of_an_accepted_connection(listener: socket.socket) -> int:
    # On a thread of its own: another test of this process may have left an event loop running.
    seen: list[int] = []
    probe = threading.Thread(target=lambda: seen.append(asyncio.run(_accepted(listener))))
    probe.start()
    probe.join(30)
    return seen[0]


async def _accepted(listener: socket.socket) -> int:
    loop = asyncio.get_running_loop()
    seen: asyncio.Future[int] = loop.create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await loop.create_server(Probe, sock=listener)
    host, port = listener.getsockname()[:2]
    _reader, writer = await asyncio.open_connection(host, port)
    try:
        return await asyncio.wait_for(seen, 10)
    finally:
        writer.close()
        server.close()

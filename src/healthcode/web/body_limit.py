"""Every request body is bounded before it is read (D2: a body is not a way to exhaust memory).

A pure ASGI middleware, so the bound holds whoever reads the body (FastAPI's JSON parsing, a
form, a batch route's stream): a declared `Content-Length` over the bound is answered 413 before
the app runs, and the bytes of a body without one (chunked) are counted as they arrive, the
read failing as soon as they pass the bound. The exchange batch routes take a larger bound of
their own (`batches.MAX_BODY_BYTES`), which they also check themselves.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from healthcode.web.errors import BODY_TOO_LARGE, BODY_TOO_LARGE_CODE, error_body

# The largest body outside the batch routes is a ruleset document (~10 KB as JSON): 256 KiB
# leaves room for any that a person writes, and keeps a hostile body from costing memory.
MAX_BODY_BYTES: Final = 256 * 1024
# A declared length longer than this is not one any bound admits (and int() of it is costly).
_LENGTH_DIGITS: Final = 18


class BodyTooLargeError(HTTPException):
    """Raised from `receive` once the bytes pass the bound; answered by `errors.py` as a 413.

    An HTTPException, because FastAPI turns any other exception met while reading a body into
    a 400 and passes HTTPExceptions through."""

    def __init__(self) -> None:
        super().__init__(413, BODY_TOO_LARGE_CODE)


class BodyLimitMiddleware:
    """`default` bytes for every route; `larger` maps exact paths to their own bounds."""

    def __init__(
        self, app: ASGIApp, default: int = MAX_BODY_BYTES, larger: Mapping[str, int] | None = None
    ) -> None:
        self._app = app
        self._default = default
        self._larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        bound = self._larger.get(scope["path"], self._default)
        if _declared_length(scope) > bound:
            await _answer(scope, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > bound:
                    raise BodyTooLargeError
            return message

        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, counted, watched)
        except BodyTooLargeError:
            # Reached here only if no handler answered it (read outside a route); once a response
            # has begun it cannot be replaced, and the read already stopped.
            if not started:
                await _answer(scope, send)


def _declared_length(scope: Scope) -> int:
    """The declared body length; an unreadable one counts as too large (it is not a length)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            readable = text.isascii() and text.isdigit() and len(text) <= _LENGTH_DIGITS
            return int(text) if readable else 1 << 62
    return 0


async def _answer(scope: Scope, send: Send) -> None:
    body = json.dumps(
        error_body(Request(scope), BODY_TOO_LARGE_CODE, BODY_TOO_LARGE, None)
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

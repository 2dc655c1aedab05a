"""Headers that make the browser an ally (D2): scripts, styles and connections from this origin
only, no framing, no referrer, no MIME sniffing; nothing kept in a cache; HTTPS remembered.

`Cache-Control: no-store` goes on every answer but the public ones (`PUBLIC`: static assets, the
signed trust lists, the API description, the liveness probe): deciding route by route which
answers carry personal data is the kind of list that misses one, so the rule is by exception.
A public answer keeps the caching it set itself (the trust lists say how long they may be kept).
`Strict-Transport-Security` is sent when the request arrived over TLS: the ASGI scheme is https,
either because uvicorn terminated TLS or because it trusted the proxy's `X-Forwarded-Proto`
(uvicorn's `--proxy-headers`, on by default for `--forwarded-allow-ips`, 127.0.0.1 unless set).
Over plain HTTP it is not sent: browsers ignore it there, and the demo is served so.

`'wasm-unsafe-eval'` lets the checkpoint page compile the QR reader's WebAssembly (served from this
origin too); nothing may run inline, so pages hand options to their scripts as JSON. The API
explorer at /api/docs is one of these pages: Swagger UI is served from our own static files.
"""

from __future__ import annotations

from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY: Final = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS: Final = (
    (b"content-security-policy", POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
NO_STORE: Final = (b"cache-control", b"no-store")
# A year: long enough that a person who once reached the site over HTTPS is never downgraded.
HSTS: Final = (b"strict-transport-security", b"max-age=31536000")
# Answers that carry no personal data and are meant to be cached or fetched by anyone.
PUBLIC: Final = ("/static/", "/.well-known/", "/openapi.json", "/healthz")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        added = _headers_for(scope)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if NO_STORE in added:  # the one caching rule for a private answer
                    headers = [(name, value) for name, value in headers if name != NO_STORE[0]]
                message["headers"] = [*headers, *added]
            await send(message)

        await self._app(scope, receive, with_headers)


def _headers_for(scope: Scope) -> tuple[tuple[bytes, bytes], ...]:
    path: str = scope["path"]
    added: tuple[tuple[bytes, bytes], ...] = HEADERS
    if not path.startswith(PUBLIC):
        added = (*added, NO_STORE)
    if scope.get("scheme") == "https":
        added = (*added, HSTS)
    return added

"""Every route declares who may call it (D2): `allow(roles…, purpose=…)` or `public(purpose=…)`.

The declaration is a FastAPI dependency that also carries its `Access` as an attribute, so a test
walks the app's routes and fails on any route without one. The declared purpose is written into
every audit entry the call makes (D1). Objects are checked by the use cases against the caller.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock
from typing import Final

from fastapi import Request

from healthcode.domain.roles import Role
from healthcode.services.principals import Principal
from healthcode.services.refusals import FORBIDDEN, Refused
from healthcode.services.runtime import Actor, Runtime
from healthcode.services.sign_in import session_principal
from healthcode.web.errors import NotSignedInError

SESSION_COOKIE: Final = "hc_session"
# A resolved session is trusted this long in one process; sign-out clears it here at once and in
# other processes within this time (a disabled account stops working within it too).
SESSION_CACHE_SECONDS: Final = 10.0
_SYSTEM = Actor("system:sessions", "system", "authenticate callers")


@dataclass(frozen=True, slots=True)
class Access:
    roles: frozenset[Role] | None  # None: anyone, signed in or not
    purpose: str


@dataclass(frozen=True, slots=True)
class Caller:
    """The caller of one request, in the role the route admitted them in."""

    principal: Principal | None
    role: Role | None
    purpose: str

    @property
    def actor(self) -> Actor:
        if self.principal is None or self.role is None:
            return Actor("anonymous", "public", self.purpose)
        # A department system acts for its registered purpose, whatever the route (D1).
        purpose = self.principal.purpose or self.purpose
        return Actor(self.principal.label, self.role.value, purpose)

    @property
    def signed_in(self) -> Principal:
        if self.principal is None:
            raise NotSignedInError
        return self.principal


def allow(*roles: Role, purpose: str) -> Callable[[Request], Caller]:
    admitted = frozenset(roles)

    def admit(request: Request) -> Caller:
        principal = current_principal(request)
        if principal is None:
            raise NotSignedInError
        role = next((role for role in sorted(principal.roles) if role in admitted), None)
        if role is None:
            raise Refused(FORBIDDEN)
        return Caller(principal, role, purpose)

    admit.access = Access(admitted, purpose)  # type: ignore[attr-defined]
    return admit


def public(purpose: str) -> Callable[[Request], Caller]:
    def admit(request: Request) -> Caller:
        principal = current_principal(request)
        role = None if principal is None else min(principal.roles)
        return Caller(principal, role, purpose)

    admit.access = Access(None, purpose)  # type: ignore[attr-defined]
    return admit


def platform(purpose: str) -> Callable[[Request], Caller]:
    """Open, and no session looked up: the probes and the metrics scrape must answer with the
    database down, and the scrape's bearer token is its own credential, not a session."""

    def admit(_request: Request) -> Caller:
        return Caller(None, None, purpose)

    admit.access = Access(None, purpose)  # type: ignore[attr-defined]
    return admit


def declared_access(call: object) -> Access | None:
    access = getattr(call, "access", None)
    return access if isinstance(access, Access) else None


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.cookies.get(SESSION_COOKIE) or None


def current_principal(request: Request) -> Principal | None:
    token = bearer_token(request)
    if token is None:
        return None
    cache: SessionCache = request.app.state.sessions
    return cache.principal(request.app.state.runtime, token)


class SessionCache:
    def __init__(self, seconds: float = SESSION_CACHE_SECONDS) -> None:
        self._seconds = seconds
        self._entries: dict[str, tuple[float, Principal | None]] = {}
        self._lock = Lock()

    def principal(self, runtime: Runtime, token: str) -> Principal | None:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(token)
        if entry is not None and now - entry[0] < self._seconds:
            return entry[1]
        with runtime.unit_of_work(_SYSTEM) as uow:
            principal = session_principal(uow, token)
        with self._lock:
            if len(self._entries) > 100_000:  # bounded: a flood of bad tokens cannot grow it
                self._entries.clear()
            self._entries[token] = (now, principal)
        return principal

    def forget(self, token: str) -> None:
        with self._lock:
            self._entries.pop(token, None)

    def forget_subject(self, subject: str) -> None:
        """A disabled account stops working in this process at once, not after the cache time."""
        with self._lock:
            self._entries = {
                token: entry
                for token, entry in self._entries.items()
                if entry[1] is None or entry[1].subject != subject
            }

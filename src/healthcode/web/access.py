"""Every route declares who may call it (D2): `allow(roles…, purpose=…)` or `public(purpose=…)`.

The declaration is a FastAPI dependency that also carries its `Access` as an attribute, so a test
walks the app's routes and fails on any route without one. The declared purpose is written into
every audit entry the call makes (D1). Objects are checked by the use cases against the caller.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from threading import Lock
from typing import Any, Final

from fastapi import Request

from healthcode.db.shared_state import SharedStateDownError
from healthcode.domain.roles import Role
from healthcode.services.principals import Principal, PrincipalKind
from healthcode.services.refusals import FORBIDDEN, Refused
from healthcode.services.runtime import Actor, Runtime
from healthcode.services.sign_in import session_principal
from healthcode.web.errors import NotSignedInError

SESSION_COOKIE: Final = "hc_session"
# A resolved session is trusted this long; sign-out and disabling clear it at once in the process
# that did them, and in every process when the shared state is Redis (else within this time).
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
    """Resolved sessions: in this process (the embedded default), or in the shared state when it
    is Redis, so sign-out and disabling take effect on the next request in every process.

    In Redis an entry is the principal sealed under a keyed hash of the token (a copy of Redis
    signs no one in), and each subject keeps the set of its entries for disabling. A Redis that
    cannot be reached sends every look-up to the database, where sessions live (ADR 0019).
    """

    def __init__(self, seconds: float = SESSION_CACHE_SECONDS) -> None:
        self._seconds = seconds
        self._entries: dict[str, tuple[float, Principal | None]] = {}
        self._lock = Lock()

    def principal(self, runtime: Runtime, token: str) -> Principal | None:
        if runtime.shared.shared_across_processes:
            return self._shared_principal(runtime, token)
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(token)
        if entry is not None and now - entry[0] < self._seconds:
            return entry[1]
        principal = _resolved(runtime, token)
        with self._lock:
            if len(self._entries) > 100_000:  # bounded: a flood of bad tokens cannot grow it
                self._entries.clear()
            self._entries[token] = (now, principal)
        return principal

    def _shared_principal(self, runtime: Runtime, token: str) -> Principal | None:
        key = _shared_key(runtime, token)
        try:
            (sealed,) = runtime.shared.get_many([key])
        except SharedStateDownError:
            return _resolved(runtime, token)
        if sealed is not None:
            held = _opened_principal(runtime, key, sealed)
            if held is not _UNREADABLE:
                return held  # type: ignore[return-value]
        principal = _resolved(runtime, token)
        with suppress(SharedStateDownError):
            runtime.shared.put(key, _sealed_principal(runtime, key, principal), self._seconds)
            if principal is not None:
                runtime.shared.remember(_subject_group(principal.subject), key, self._seconds)
        return principal

    def forget(self, runtime: Runtime, token: str) -> None:
        with self._lock:
            self._entries.pop(token, None)
        if runtime.shared.shared_across_processes:
            # Unreachable: every process reads the database then, where the session is revoked.
            with suppress(SharedStateDownError):
                runtime.shared.delete(_shared_key(runtime, token))

    def forget_subject(self, runtime: Runtime, subject: str) -> None:
        """A disabled account stops working at once: here, and in every process with Redis."""
        with self._lock:
            self._entries = {
                token: entry
                for token, entry in self._entries.items()
                if entry[1] is None or entry[1].subject != subject
            }
        if runtime.shared.shared_across_processes:
            with suppress(SharedStateDownError):
                keys = runtime.shared.forget_group(_subject_group(subject))
                runtime.shared.delete(*keys)


_UNREADABLE: Final = object()


def _resolved(runtime: Runtime, token: str) -> Principal | None:
    # A pure read: no writer lock (ADR 0021).
    return runtime.read_or_write(_SYSTEM, lambda uow: session_principal(uow, token))


def _shared_key(runtime: Runtime, token: str) -> str:
    return f"session:{runtime.vault.blind_index('session cache', token).hex()}"


def _subject_group(subject: str) -> str:
    return f"sessions-of:{subject}"


def _sealed_principal(runtime: Runtime, key: str, principal: Principal | None) -> bytes:
    held = None if principal is None else principal_json(principal)
    return runtime.vault.seal(json.dumps(held).encode(), key)


def _opened_principal(runtime: Runtime, key: str, sealed: bytes) -> Principal | object | None:
    try:
        held = json.loads(runtime.vault.open(sealed, key))
        return None if held is None else principal_from_json(held)
    except (ValueError, TypeError, KeyError):
        return _UNREADABLE  # not what this installation sealed: the database decides


def principal_json(principal: Principal) -> dict[str, object]:
    return {
        "kind": principal.kind.value,
        "subject": principal.subject,
        "label": principal.label,
        "roles": sorted(role.value for role in principal.roles),
        "region": principal.region,
        "institution": principal.institution,
        "categories": sorted(principal.categories),
        "purpose": principal.purpose,
    }


def principal_from_json(held: dict[str, Any]) -> Principal:
    return Principal(
        PrincipalKind(held["kind"]),
        str(held["subject"]),
        str(held["label"]),
        frozenset(Role(role) for role in held["roles"]),
        region=held["region"],
        institution=held.get("institution"),
        categories=frozenset(str(category) for category in held["categories"]),
        purpose=held["purpose"],
    )

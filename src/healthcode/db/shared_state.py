"""State every server process must see alike: Redis when configured, this process's memory else.

What lives here is short-lived and can be rebuilt from the database: resolved sessions, current
colours and code pseudonyms (caches in front of the database), and the throttles' counters (ADR
0019). Keys are keyed hashes or pseudonymous ids, values are sealed by the caller: a copy of Redis
names no one and reads nothing. Every Redis failure is raised as `SharedStateDownError`, so a caller
decides what failing closed means for it; a Redis that comes back is used again on the next call
(the client reconnects on its own, with short timeouts so a dead server costs a request ~0.5 s).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Final, Protocol, TypeVar

_T = TypeVar("_T")

# A dead Redis must answer fast: a request that cannot reach it falls back or fails closed.
SOCKET_TIMEOUT_SECONDS: Final = 0.5
# The in-process store is bounded: a flood of distinct keys cannot grow it without end.
LOCAL_MAX_KEYS: Final = 200_000


class SharedStateDownError(RuntimeError):
    """The shared store cannot be reached or did not answer; the message names no key or value."""


class SharedState(Protocol):
    @property
    def shared_across_processes(self) -> bool:
        """True for Redis: what one process writes, every other reads on its next request."""

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The values of `keys`, None where there is none (or it expired)."""

    def put(self, key: str, value: bytes, seconds: float) -> None:
        """Keep `value` under `key` for `seconds`."""

    def put_many(self, values: Mapping[str, bytes], seconds: float) -> None:
        """Keep every value under its key for `seconds`, in one round trip."""

    def put_if_absent(self, key: str, value: bytes, seconds: float) -> bool:
        """Keep `value` under `key` for `seconds` unless a live value is there; whether it was."""

    def delete(self, *keys: str) -> None: ...

    def count(self, key: str, window_seconds: float) -> int:
        """One more hit in the window that began at the key's first hit; the count with it."""

    def uncount(self, key: str) -> None:
        """Give one hit back (never below zero)."""

    def remember(self, group: str, member: str, seconds: float) -> None:
        """Add `member` to the set `group` (kept `seconds` after its last addition)."""

    def forget_group(self, group: str) -> list[str]:
        """Remove the set `group` and return what it held."""


class LocalState:
    """One process's memory: the embedded default (one process, no Redis)."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    @property
    def shared_across_processes(self) -> bool:
        return False

    def _live(self, key: str, now: float) -> object | None:
        entry = self._values.get(key)
        if entry is None:
            return None
        if entry[0] <= now:
            del self._values[key]
            return None
        return entry[1]

    def _set(self, key: str, value: object, until: float) -> None:
        if len(self._values) >= LOCAL_MAX_KEYS:
            now = time.monotonic()
            self._values = {k: v for k, v in self._values.items() if v[0] > now}
            if len(self._values) >= LOCAL_MAX_KEYS:
                self._values.clear()
        self._values[key] = (until, value)

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        now = time.monotonic()
        with self._lock:
            found = [self._live(key, now) for key in keys]
        return [value if isinstance(value, bytes) else None for value in found]

    def put(self, key: str, value: bytes, seconds: float) -> None:
        with self._lock:
            self._set(key, value, time.monotonic() + seconds)

    def put_many(self, values: Mapping[str, bytes], seconds: float) -> None:
        until = time.monotonic() + seconds
        with self._lock:
            for key, value in values.items():
                self._set(key, value, until)

    def put_if_absent(self, key: str, value: bytes, seconds: float) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._live(key, now) is not None:
                return False
            self._set(key, value, now + seconds)
            return True

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._values.pop(key, None)

    def count(self, key: str, window_seconds: float) -> int:
        now = time.monotonic()
        with self._lock:
            entry = self._values.get(key)
            if entry is None or entry[0] <= now or not isinstance(entry[1], int):
                self._set(key, 1, now + window_seconds)
                return 1
            self._values[key] = (entry[0], entry[1] + 1)
            return entry[1] + 1

    def uncount(self, key: str) -> None:
        with self._lock:
            entry = self._values.get(key)
            if entry is not None and isinstance(entry[1], int) and entry[1] > 0:
                self._values[key] = (entry[0], entry[1] - 1)

    def remember(self, group: str, member: str, seconds: float) -> None:
        now = time.monotonic()
        with self._lock:
            held = self._live(group, now)
            members = held if isinstance(held, frozenset) else frozenset()
            self._set(group, members | {member}, now + seconds)

    def forget_group(self, group: str) -> list[str]:
        with self._lock:
            entry = self._values.pop(group, None)
        return sorted(entry[1]) if entry is not None and isinstance(entry[1], frozenset) else []


class RedisState:
    """Redis, every key under `<namespace>:state:` so installations sharing a server stay apart."""

    def __init__(self, url: str, namespace: str) -> None:
        import redis  # noqa: PLC0415 - only installations that configure Redis load the client

        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._client = redis.Redis.from_url(
            url,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
            health_check_interval=5,
        )
        self._prefix = f"{namespace}:state:"

    @property
    def shared_across_processes(self) -> bool:
        return True

    def _call(self, work: Callable[[], _T]) -> _T:
        try:
            return work()
        except self._errors:
            # Not the error's text: a connection error can carry the URL and its password.
            raise SharedStateDownError("the shared state (Redis) cannot be reached") from None

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        names = [self._prefix + key for key in keys]
        values = self._call(lambda: self._client.mget(names))
        return [value if isinstance(value, bytes) else None for value in values]

    def put(self, key: str, value: bytes, seconds: float) -> None:
        milliseconds = max(1, int(seconds * 1000))
        self._call(lambda: self._client.set(self._prefix + key, value, px=milliseconds))

    def put_many(self, values: Mapping[str, bytes], seconds: float) -> None:
        milliseconds = max(1, int(seconds * 1000))

        def written() -> None:
            pipe = self._client.pipeline(transaction=False)
            for key, value in values.items():
                pipe.set(self._prefix + key, value, px=milliseconds)
            pipe.execute()

        if values:
            self._call(written)

    def put_if_absent(self, key: str, value: bytes, seconds: float) -> bool:
        milliseconds = max(1, int(seconds * 1000))
        name = self._prefix + key
        return bool(self._call(lambda: self._client.set(name, value, px=milliseconds, nx=True)))

    def delete(self, *keys: str) -> None:
        if keys:
            self._call(lambda: self._client.delete(*(self._prefix + key for key in keys)))

    def count(self, key: str, window_seconds: float) -> int:
        name = self._prefix + key
        milliseconds = max(1, int(window_seconds * 1000))

        def counted() -> int:
            pipe = self._client.pipeline(transaction=True)
            pipe.incr(name)
            pipe.pexpire(name, milliseconds, nx=True)  # the window starts at the first hit
            value, _ = pipe.execute()
            return int(value)

        return self._call(counted)

    def uncount(self, key: str) -> None:
        self._call(lambda: self._client.eval(_UNCOUNT, 1, self._prefix + key))

    def remember(self, group: str, member: str, seconds: float) -> None:
        name = self._prefix + group
        milliseconds = max(1, int(seconds * 1000))

        def remembered() -> None:
            pipe = self._client.pipeline(transaction=True)
            pipe.sadd(name, member)
            pipe.pexpire(name, milliseconds)
            pipe.execute()

        self._call(remembered)

    def forget_group(self, group: str) -> list[str]:
        name = self._prefix + group

        def forgotten() -> list[str]:
            pipe = self._client.pipeline(transaction=True)
            pipe.smembers(name)
            pipe.delete(name)
            members, _ = pipe.execute()
            return sorted(member.decode() for member in members)

        return self._call(forgotten)


# Decrement only a counter that exists and is above zero (a give-back never makes one).
_UNCOUNT: Final = """
local value = tonumber(redis.call('GET', KEYS[1]) or '0')
if value > 0 then redis.call('DECR', KEYS[1]) end
return value
"""


def shared_state_for(url: str | None, namespace: str) -> SharedState:
    """Redis at `url`, or this process's memory when there is none (the embedded default)."""
    return LocalState() if url is None else RedisState(url, namespace)

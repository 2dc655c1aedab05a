"""The shared state's Redis form on the machine's Redis (ADR 0019), each test in a namespace of its
own; the behaviour across server processes is integration/test_serve_processes.py's."""

from __future__ import annotations

import os
import secrets
import time

import pytest

from healthcode.db.shared_state import RedisState

REDIS_URL = os.environ.get("HEALTHCODE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_REQUIRED = "required" in (
    os.environ.get("HEALTHCODE_TEST_REDIS"),
    os.environ.get("HEALTHCODE_TEST_POSTGRES"),  # CI: the machine's services must all answer
)


@pytest.fixture
def state() -> RedisState:
    import redis  # noqa: PLC0415

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except (redis.RedisError, OSError):
        if REDIS_REQUIRED:
            pytest.fail(f"Redis does not answer at {REDIS_URL}")
        pytest.skip(f"Redis does not answer at {REDIS_URL}")
    return RedisState(REDIS_URL, f"test-state-{secrets.token_hex(6)}")


def test_a_value_is_put_if_absent_only_where_none_is_live(state: RedisState) -> None:
    assert state.put_if_absent("k", b"first", 60)
    assert not state.put_if_absent("k", b"older", 60)  # a colour refilled late keeps the newer
    assert state.get_many(["k"]) == [b"first"]
    state.put("short", b"x", 0.001)
    time.sleep(0.05)
    assert state.put_if_absent("short", b"y", 60)  # an expired value is no value
    assert state.get_many(["short"]) == [b"y"]
    state.delete("k", "short")

"""What both forms of the shared state promise (ADR 0019): this process's memory, and Redis on the
machine's server in a namespace of each test's own. The behaviour across server processes is
integration/test_serve_processes.py's."""

from __future__ import annotations

import secrets
import time

import pytest

from healthcode.db.shared_state import LocalState, RedisState, SharedState
from machine_redis import REDIS_URL, require_redis


@pytest.fixture(params=["local", "redis"])
def state(request: pytest.FixtureRequest) -> SharedState:
    if request.param == "local":
        return LocalState()
    require_redis()
    return RedisState(REDIS_URL, f"test-state-{secrets.token_hex(6)}")


def test_a_value_is_put_if_absent_only_where_none_is_live(state: SharedState) -> None:
    assert state.put_if_absent("k", b"first", 60)
    assert not state.put_if_absent("k", b"older", 60)  # a colour refilled late keeps the newer
    assert state.get_many(["k"]) == [b"first"]
    state.put("short", b"x", 0.001)
    time.sleep(0.05)
    assert state.put_if_absent("short", b"y", 60)  # an expired value is no value
    assert state.get_many(["short"]) == [b"y"]
    state.delete("k", "short")

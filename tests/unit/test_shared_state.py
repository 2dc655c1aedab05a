"""The shared state's setting and its in-process form (ADR 0019); Redis itself is exercised by
integration/test_serve_processes.py across real server processes."""

from __future__ import annotations

import time

import pytest

from healthcode.db.shared_state import LocalState, RedisState, shared_state_for
from healthcode.settings import Settings, SettingsError


def test_without_redis_the_state_is_this_processs_own() -> None:
    settings = Settings.from_environment({})

    assert settings.redis_url is None
    state = shared_state_for(settings.redis_url, settings.task_namespace)
    assert isinstance(state, LocalState)
    assert not state.shared_across_processes


def test_a_redis_url_is_taken_and_a_bad_one_refused_without_its_password() -> None:
    settings = Settings.from_environment({"HEALTHCODE_REDIS_URL": "redis://127.0.0.1:6379/3"})
    assert settings.redis_url == "redis://127.0.0.1:6379/3"
    assert isinstance(shared_state_for(settings.redis_url, "ns"), RedisState)
    with pytest.raises(SettingsError) as refused:
        Settings.from_environment({"HEALTHCODE_REDIS_URL": "memcache://user:hunter2@host/"})
    assert "HEALTHCODE_REDIS_URL" in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_counts_give_back_never_below_zero_and_windows_end() -> None:
    state = LocalState()

    assert [state.count("k", 60) for _ in range(3)] == [1, 2, 3]
    state.uncount("k")
    assert state.count("k", 60) == 3
    for _ in range(5):
        state.uncount("k")
    assert state.count("k", 60) == 1
    assert state.count("short", 0.001) == 1
    time.sleep(0.01)
    assert state.count("short", 60) == 1  # the first window was over: a new one began


def test_values_expire_and_groups_are_forgotten_whole() -> None:
    state = LocalState()
    state.put_many({"a": b"1", "b": b"2"}, 60)
    state.put("gone", b"x", 0.001)
    time.sleep(0.01)

    assert state.get_many(["a", "b", "gone", "never"]) == [b"1", b"2", None, None]
    state.remember("group", "a", 60)
    state.remember("group", "b", 60)
    assert state.forget_group("group") == ["a", "b"]
    assert state.forget_group("group") == []
    state.delete("a")
    assert state.get_many(["a"]) == [None]

"""The machine's Redis, for the tests of shared state, partition workers and metrics: each keeps to
a namespace of its own and never flushes or stops the server."""

from __future__ import annotations

import os
from typing import Final

import pytest
import redis

REDIS_URL: Final = os.environ.get("HEALTHCODE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# CI (`.ci/run`: HEALTHCODE_TEST_POSTGRES=required) has every service of the machine answer, so an
# unreachable Redis fails there rather than skipping the tests that need it.
REDIS_REQUIRED: Final = "required" in (
    os.environ.get("HEALTHCODE_TEST_REDIS"),
    os.environ.get("HEALTHCODE_TEST_POSTGRES"),
)


def require_redis() -> None:
    """Skip the calling test when Redis does not answer, or fail it where Redis is required."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except (redis.RedisError, OSError) as error:
        message = f"Redis unreachable at {REDIS_URL}: {type(error).__name__}"
        if REDIS_REQUIRED:
            pytest.fail(message)
        pytest.skip(message + " (HEALTHCODE_TEST_REDIS=required makes this fail)")

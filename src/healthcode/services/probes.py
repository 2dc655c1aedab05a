"""Probes of what the service stands on (D3): the database, the keyring, Redis.

Each answers a yes or a no and never raises: a probe runs when something is already wrong, and
its caller (readiness, the metrics scrape) must still answer.
"""

from __future__ import annotations

import hmac

import redis
from sqlalchemy import text

from healthcode.db.migrate import current_revision, head_revision
from healthcode.security.keyring import KeyringError, load_keyring
from healthcode.security.vault import Vault
from healthcode.services.runtime import AUDIT_CHAIN, AUDIT_CHAIN_KEY, Runtime

# A probe that waits longer than this is a failed probe: a scrape must not hang on it.
PROBE_SECONDS = 2.0


def database_reachable(runtime: Runtime) -> bool:
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


def database_ready(runtime: Runtime) -> bool:
    """The database answers at the schema's head."""
    try:
        return current_revision(runtime.engine) == head_revision()
    except Exception:
        return False


def keyring_readable(runtime: Runtime) -> bool:
    """The keyring on disk opens and holds the keys this process runs with: a process started now
    would come up (the running one keeps the keys it loaded at its start)."""
    try:
        vault = Vault(load_keyring(runtime.settings.keys_dir))
    except (KeyringError, OSError):
        return False
    return hmac.compare_digest(vault.blind_index(AUDIT_CHAIN, AUDIT_CHAIN_KEY), runtime.audit_key)


class RedisProbe:
    """One client per URL, kept between probes (a connection is reused while Redis answers)."""

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(
            url, socket_timeout=PROBE_SECONDS, socket_connect_timeout=PROBE_SECONDS
        )

    def reachable(self) -> bool:
        try:
            return bool(self._client.ping())
        except Exception:
            return False

"""Settings: one frozen object built once from the environment and passed in (SPEC §2)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

DEFAULT_ISSUER = "CN-33"
DEFAULT_TASK_NAMESPACE = "healthcode"
BROKER_SCHEMES = ("redis://", "rediss://", "unix://")
_NAMESPACE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class SettingsError(ValueError):
    """A configuration value that cannot be used; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    issuer: str = DEFAULT_ISSUER
    frozen_clock: datetime | None = None
    # Codes shown on a phone live minutes (a screenshot soon stops working); a printed paper code
    # lives days, and says so on the paper (S4).
    code_validity: timedelta = timedelta(minutes=5)
    paper_code_validity: timedelta = timedelta(days=7)
    # Scan records are kept this long, then purged by the worker (D2).
    scan_retention: timedelta = timedelta(days=28)
    # A scanner faster than this per minute is throttled and flagged (anti-harvesting, D2).
    scans_per_minute_limit: int = 60
    # Where texts to residents go: "outbox" keeps them for the demo's outbox page (development
    # only: anyone who can open that page reads sign-in codes); "none" sends nothing.
    message_sender: str = "none"
    # Appeal time limits per category and tier (S6); None: the bundled rulesets/appeals.yaml.
    appeal_limits: Path | None = None
    # The bearer token a Prometheus scrape of /metrics presents; None: /metrics is not served
    # (request counts and codes by colour are for the platform, not for whoever asks).
    metrics_token: str | None = None
    # Audit entries newer than this may still be unsealed: the round seals the log once its last
    # signed head is this old, and verify states the entries after it (D1, D3).
    audit_unsealed_window: timedelta = timedelta(seconds=300)
    # Where partitions of population re-evaluation are sent for worker processes, on this machine
    # or others (a Redis URL, ADR 0012); None: the process that starts a job runs it (embedded).
    # The URL may carry a password: it is never logged or shown.
    task_broker_url: str | None = None
    # The prefix of every key the broker keeps, so installations (and tests) sharing one Redis
    # keep to their own queues.
    task_namespace: str = DEFAULT_TASK_NAMESPACE
    # The state every server process must share (sessions, throttles, current colours, code
    # pseudonyms; ADR 0019): a Redis URL; None: this process's memory (embedded, one process).
    # The URL may carry a password: it is never logged or shown.
    redis_url: str | None = None

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def foreign_trust_dir(self) -> Path:
        """Trust material for foreign certificates (DSCs, trust lists, JWKS, DID documents,
        SHC revocation lists)."""
        return self.data_dir / "foreign-trust"

    @property
    def audit_heads_file(self) -> Path:
        """One signed audit head a line, for the operator to ship to write-once storage."""
        return self.data_dir / "audit-heads.jsonl"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("HEALTHCODE_DATA_DIR") or "data").resolve()
        return cls(
            data_dir=data_dir,
            database_url=env.get("HEALTHCODE_DATABASE_URL")
            or f"sqlite:///{data_dir / 'healthcode.db'}",
            issuer=env.get("HEALTHCODE_ISSUER") or DEFAULT_ISSUER,
            frozen_clock=_instant(env.get("HEALTHCODE_CLOCK"), "HEALTHCODE_CLOCK"),
            code_validity=timedelta(minutes=_number(env, "HEALTHCODE_CODE_VALIDITY_MINUTES", 5)),
            paper_code_validity=timedelta(
                days=_number(env, "HEALTHCODE_PAPER_CODE_VALIDITY_DAYS", 7)
            ),
            scan_retention=timedelta(days=_number(env, "HEALTHCODE_SCAN_RETENTION_DAYS", 28)),
            scans_per_minute_limit=_number(env, "HEALTHCODE_SCANS_PER_MINUTE_LIMIT", 60),
            message_sender=_choice(env, "HEALTHCODE_MESSAGE_SENDER", ("none", "outbox")),
            appeal_limits=Path(env["HEALTHCODE_APPEAL_LIMITS"])
            if env.get("HEALTHCODE_APPEAL_LIMITS")
            else None,
            metrics_token=env.get("HEALTHCODE_METRICS_TOKEN") or None,
            audit_unsealed_window=timedelta(
                seconds=_number(env, "HEALTHCODE_AUDIT_UNSEALED_WINDOW_SECONDS", 300)
            ),
            task_broker_url=_redis_url(env, "HEALTHCODE_TASK_BROKER_URL"),
            task_namespace=_namespace(env.get("HEALTHCODE_TASK_NAMESPACE")),
            redis_url=_redis_url(env, "HEALTHCODE_REDIS_URL"),
        )


def _number(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name)
    if not text:
        return default
    if not text.isdigit() or int(text) == 0:
        raise SettingsError(f"{name}: must be a positive whole number")
    return int(text)


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    text = env.get(name) or choices[0]
    if text not in choices:
        raise SettingsError(f"{name}: must be one of {', '.join(choices)}")
    return text


def _instant(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise SettingsError(f"{name}: not an ISO 8601 instant with an offset")
    return value


def _redis_url(env: Mapping[str, str], name: str) -> str | None:
    text = env.get(name)
    if not text:
        return None
    if not text.startswith(BROKER_SCHEMES):
        # Not the value itself: a URL may carry a password.
        raise SettingsError(f"{name}: must start with {', '.join(BROKER_SCHEMES)} (Redis)")
    return text


def _namespace(text: str | None) -> str:
    if not text:
        return DEFAULT_TASK_NAMESPACE
    if not _NAMESPACE.fullmatch(text):
        raise SettingsError("HEALTHCODE_TASK_NAMESPACE: 1 to 64 letters, digits, '_', '.' or '-'")
    return text

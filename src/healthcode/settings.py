"""Settings: one frozen object built once from the environment and passed in (SPEC §2)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

DEFAULT_ISSUER = "CN-33"


class SettingsError(ValueError):
    """A configuration value that cannot be used; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    issuer: str = DEFAULT_ISSUER
    frozen_clock: datetime | None = None

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

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
        )


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

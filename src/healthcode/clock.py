"""The one clock every component reads (issue #3 §7). `HEALTHCODE_CLOCK` freezes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from healthcode.settings import Settings


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class FrozenClock:
    """A fixed instant, for replays, drills and tests."""

    instant: datetime

    def now(self) -> datetime:
        return self.instant


def clock_for(settings: Settings) -> Clock:
    if settings.frozen_clock is not None:
        return FrozenClock(settings.frozen_clock)
    return SystemClock()

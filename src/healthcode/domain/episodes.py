"""Episodes: things that start and end (isolation, observations, fever clinic, designations).

Folding a person's start/end facts in time order leaves, for each kind of episode, whether it is
open at the instant of interest and since when, or when it last ended.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Episode:
    active: bool = False
    since: datetime | None = None
    ended_at: datetime | None = None

    def started(self, at: datetime) -> Episode:
        # A repeated start while already open keeps the original start: the episode did not
        # begin again, a department only confirmed it.
        if self.active:
            return self
        return Episode(active=True, since=at, ended_at=None)

    def ended(self, at: datetime) -> Episode:
        if not self.active:
            return replace(self, ended_at=at) if self.since is not None else self
        return Episode(active=False, since=self.since, ended_at=at)


CLOSED = Episode()

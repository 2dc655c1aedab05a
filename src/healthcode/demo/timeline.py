"""One person's history as exchange records (SPEC §1), written backwards from the instant `now`.

Everything is dated relative to `now`, which is passed in: the demo never reads the clock while it
generates, so one seed and one instant always give the same records.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

Record = dict[str, object]

# Nothing is dated closer to `now` than this: a fact from the future would be kept pending.
MARGIN: Final = timedelta(minutes=10)


def stamp(instant: datetime) -> str:
    return instant.isoformat(timespec="seconds")


@dataclass(slots=True)
class EventIds:
    """Event ids unique within every source, since they are unique across all sources."""

    prefix: str
    issued: int = 0

    def next(self) -> str:
        self.issued += 1
        return f"{self.prefix}-{self.issued:06d}"


@dataclass(slots=True)
class Timeline:
    rng: random.Random
    now: datetime
    person: Record
    ids: EventIds
    events: list[Record] = field(default_factory=list)

    def ago(self, most_days: float, least_days: float = 0.0) -> datetime:
        """A random instant between `most_days` and `least_days` before now."""
        days = self.rng.uniform(least_days, most_days)
        return self.now - max(timedelta(days=days), MARGIN)

    def add(self, source: str, event_type: str, at: datetime, /, **fields: object) -> None:
        record: Record = {
            "event_id": self.ids.next(),
            "source": source,
            "type": event_type,
            "person": self.person,
            "occurred_at": stamp(min(at, self.now - MARGIN)),
        }
        self.events.append(record | fields)

    def test(self, sampled: datetime, result: str = "negative") -> None:
        """A nucleic-acid result, known some hours after the sample was taken."""
        # `sampled` comes from `ago`, so it is never later than `now - MARGIN` either.
        known = min(sampled + timedelta(hours=self.rng.uniform(3, 20)), self.now - MARGIN)
        self.add(
            "health",
            "test",
            known,
            kind="nucleic_acid",
            result=result,
            sampled_at=stamp(sampled),
        )

    def measure(
        self, kind: str, start: datetime, end: datetime | None = None, **fields: object
    ) -> None:
        """A measure (isolation, observation, monitoring, fever clinic) that may have ended."""
        self.add("health", kind, start, action="start", **fields)
        if end is not None:
            self.add("health", kind, end, action="end")

    def trip(
        self, region: str, start: datetime, until: datetime | None = None, **extra: str
    ) -> None:
        source = self.rng.choice(("telecom", "telecom", "rail", "aviation", "transport"))
        fields: Record = {"region": region, **extra}
        if until is not None:
            fields["until"] = stamp(until)
        self.add(source, "trip", start, **fields)

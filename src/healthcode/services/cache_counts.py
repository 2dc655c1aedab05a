"""How often each cache in front of the database answered: hits, misses, fall-backs (ADR 0023).

Counted in this process and read by `/metrics` at scrape time. A lookup is one of:
- `hit`: the cache answered;
- `miss`: nothing (or nothing fresh) was held, so the database answered;
- `fallback`: the cache could not answer (unreachable, an entry in flight or one that does not
  open), so the database answered.
"""

from __future__ import annotations

import threading
from enum import StrEnum


class Lookup(StrEnum):
    HIT = "hit"
    MISS = "miss"
    FALLBACK = "fallback"


class CacheCounts:
    """Lookups by (cache, outcome); safe to count from every request thread at once."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, Lookup], int] = {}
        self._lock = threading.Lock()

    def count(self, cache: str, outcome: Lookup) -> None:
        with self._lock:
            key = (cache, outcome)
            self._counts[key] = self._counts.get(key, 0) + 1

    def snapshot(self) -> dict[tuple[str, Lookup], int]:
        with self._lock:
            return dict(self._counts)

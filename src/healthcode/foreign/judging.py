"""A verdict built check by check, as a verifier meets the layers of a certificate.

Each per-format verifier (SMART Health Cards, NZ COVID Pass) records what it found in the order
it found it; the verdict is then whole (every check named) and carries facts only when valid.
"""

from __future__ import annotations

from collections.abc import Iterable

from healthcode.foreign.verdicts import (
    CHECKS,
    CheckName,
    ForeignFact,
    ForeignVerdict,
    Format,
    Reason,
)


class Judgement:
    def __init__(self, format: Format) -> None:
        self._format = format
        self._checks: dict[CheckName, bool | None] = dict.fromkeys(CHECKS, None)
        self._reasons: list[Reason] = []

    def passed(self, check: CheckName) -> None:
        if self._checks[check] is None:
            self._checks[check] = True

    def failed(self, check: CheckName, reason: Reason) -> None:
        self._checks[check] = False
        self._reasons.append(reason)

    def note(self, reason: Reason) -> None:
        """A remark that fails nothing (a deprecated form read all the same)."""
        self._reasons.append(reason)

    def judged(self, check: CheckName) -> bool | None:
        return self._checks[check]

    @property
    def valid(self) -> bool:
        return self._checks["decode"] is True and False not in self._checks.values()

    def verdict(self, facts: Iterable[ForeignFact] = ()) -> ForeignVerdict:
        proven = tuple(facts) if self.valid else ()
        return ForeignVerdict(self._format, dict(self._checks), tuple(self._reasons), proven)

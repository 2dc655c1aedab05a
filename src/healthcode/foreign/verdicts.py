"""What a foreign certificate's verification says: each check, why it failed, what it proves.

One shape for every format, so the command line, the API and the checkpoint page show a verdict the
same way whichever country issued the certificate. A check is True (passed), False (failed) or None
(not applicable, or not reached because an earlier layer failed).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from healthcode.domain.identity import mask_name

CheckName = Literal["decode", "signature", "expiry", "schema", "key_usage"]
CHECKS: Final[tuple[CheckName, ...]] = ("decode", "signature", "expiry", "schema", "key_usage")
Format = Literal["eu-dcc", "shc", "nzcp"]
FactKind = Literal["vaccination", "test", "recovery"]


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a check failed (or a note), in both languages; `code` is stable for programs."""

    code: str
    zh: str
    en: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "zh": self.zh, "en": self.en}


@dataclass(frozen=True, slots=True)
class ForeignFact:
    """What an accepted certificate proves about its holder."""

    kind: FactKind
    country: str  # the issuing country, ISO 3166-1 alpha-2 as in the certificate
    occurred_at: datetime  # vaccination date, sample collected, or first positive test
    details: Mapping[str, str]
    holder_name: str  # as on the certificate: personal data, never logged
    holder_birth_date: str  # ISO date or partial date, as on the certificate

    def __post_init__(self) -> None:
        if self.occurred_at.utcoffset() is None:
            raise ValueError("a foreign fact's time must be timezone-aware")

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "country": self.country,
            "occurred_at": self.occurred_at.isoformat(),
            "details": dict(self.details),
            "holder_name": self.holder_name,
            "holder_birth_date": self.holder_birth_date,
        }


@dataclass(frozen=True, slots=True)
class ForeignVerdict:
    format: Format
    checks: Mapping[CheckName, bool | None]
    reasons: tuple[Reason, ...]
    facts: tuple[ForeignFact, ...]

    def __post_init__(self) -> None:
        if set(self.checks) != set(CHECKS):
            raise ValueError(f"a verdict names every check: {', '.join(CHECKS)}")
        if self.facts and not self.valid:
            raise ValueError("only a valid certificate proves facts")

    @property
    def valid(self) -> bool:
        """Decoded, and no check failed: a check that does not apply does not make it invalid."""
        return self.checks["decode"] is True and all(
            self.checks[name] is not False for name in CHECKS
        )

    def to_json(self) -> dict[str, object]:
        return {
            "format": self.format,
            "valid": self.valid,
            "checks": {name: self.checks[name] for name in CHECKS},
            "reasons": [reason.to_json() for reason in self.reasons],
            "facts": [fact.to_json() for fact in self.facts],
        }


def undecodable(format: Format, reason: Reason) -> ForeignVerdict:
    """The verdict on a text whose layers could not be undone: nothing else can be checked."""
    checks: dict[CheckName, bool | None] = dict.fromkeys(CHECKS, None)
    checks["decode"] = False
    return ForeignVerdict(format, checks, (reason,), ())


def shown_json(verdict: ForeignVerdict) -> dict[str, object]:
    """`verdict.to_json()` as a screen or an API answer shows it: each holder's name masked (D2),
    part by part ("Musterfrau-Gößinger, Gabriele" → "M*********-G*******, G*******")."""
    shown = verdict.to_json()
    shown["facts"] = [
        fact.to_json() | {"holder_name": ", ".join(map(mask_name, fact.holder_name.split(", ")))}
        for fact in verdict.facts
    ]
    return shown

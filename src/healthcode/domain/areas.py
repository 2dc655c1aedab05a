"""Area lists that are not about one person: risk areas (A6) and severe designations (A7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class RiskLevel(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class RiskArea:
    """A region rated by the national grading standard from `effective_from` to `effective_to`."""

    region: str
    level: RiskLevel
    effective_from: datetime
    effective_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class SevereDesignation:
    """An area or place where the epidemic is severe (A7), approved by the leading group.

    People who were there during the designation, or in the `lookback_days` before it began,
    are put under red management until `lookback_days` after they left.
    """

    designation_id: str
    region: str | None
    venue_id: str | None
    lookback_days: int
    effective_from: datetime
    effective_to: datetime | None
    approved_by: str
    assessment_ref: str

"""Area feeds (SPEC §1): risk areas (A6) and severe areas and places (A7), one record at a time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from healthcode.domain.areas import RiskArea, RiskLevel, SevereDesignation
from healthcode.domain.regions import region_problem
from healthcode.exchange.fields import Fields, parse_located


def parse_risk_area(record: Mapping[str, object], location: str = "record") -> RiskArea:
    """Validate one risk-area record; raises InvalidRecordError (located at `location`)."""
    return parse_located(_risk_area, record, location)


def parse_severe_designation(
    record: Mapping[str, object], location: str = "record"
) -> SevereDesignation:
    """Validate one severe-area designation; raises InvalidRecordError (located at `location`)."""
    return parse_located(_severe_designation, record, location)


def _risk_area(fields: Fields) -> RiskArea:
    region = fields.text("region", check=region_problem)
    level = fields.choice("level", RiskLevel)
    effective_from, effective_to = _validity(fields)
    return RiskArea(region, level, effective_from, effective_to)


def _severe_designation(fields: Fields) -> SevereDesignation:
    designation_id = fields.text("designation_id")
    region = fields.optional_text("region", check=region_problem)
    venue_id = fields.optional_text("venue_id")
    # A designation is either an area or one place; both at once would leave unclear which applies.
    if (region is None) == (venue_id is None):
        fields.fail("region", "give exactly one of region or venue_id")
    lookback_days = fields.integer("lookback_days", minimum=0)
    effective_from, effective_to = _validity(fields)
    return SevereDesignation(
        designation_id=designation_id,
        region=region,
        venue_id=venue_id,
        lookback_days=lookback_days,
        effective_from=effective_from,
        effective_to=effective_to,
        # The approval record is what makes red management of a whole area lawful (A7).
        approved_by=fields.text("approved_by"),
        assessment_ref=fields.text("assessment_ref"),
    )


def _validity(fields: Fields) -> tuple[datetime, datetime | None]:
    effective_from = fields.instant("effective_from")
    effective_to = fields.optional_instant("effective_to")
    if effective_to is not None and effective_to <= effective_from:
        fields.fail("effective_to", "must be later than effective_from")
    return effective_from, effective_to

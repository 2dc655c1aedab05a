"""Area feeds of SPEC §1: risk areas (A6) and severe areas and places (A7)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from exchange_builders import risk_area, severe_designation, text

from healthcode.domain.areas import RiskArea, RiskLevel, SevereDesignation
from healthcode.exchange import (
    InvalidRecordError,
    RecordError,
    parse_risk_area,
    parse_severe_designation,
    read_risk_areas,
    read_severe_designations,
)

BEIJING = timezone(timedelta(hours=8))


def test_risk_area_is_read__A6() -> None:
    closed = risk_area(region="310115", level="medium", effective_to="2021-03-15T00:00:00+08:00")
    assert parse_risk_area(closed) == RiskArea(
        "310115",
        RiskLevel.MEDIUM,
        datetime(2021, 3, 1, tzinfo=BEIJING),
        datetime(2021, 3, 15, tzinfo=BEIJING),
    )
    assert parse_risk_area(risk_area(region="420106001")).effective_to is None


@pytest.mark.parametrize(
    ("record", "field", "reason"),
    [
        (risk_area(region=None), "region", "required"),
        (risk_area(region="42"), "region", "6, 9 or 12 digits"),
        (risk_area(level="severe"), "level", "must be one of: high, medium, low"),
        (risk_area(level=None), "level", "required"),
        (risk_area(effective_from=None), "effective_from", "required"),
        (risk_area(effective_from="2021-03-01T00:00:00"), "effective_from", "UTC offset"),
        (risk_area(effective_to="2021-02-01T00:00:00+08:00"), "effective_to", "later than"),
        (risk_area(effective_to="2021-03-01T00:00:00+08:00"), "effective_to", "later than"),
    ],
)
def test_bad_risk_area_is_located__A6(record: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(InvalidRecordError) as raised:
        parse_risk_area(record, "line 2")
    error = raised.value.error
    assert (error.location, error.field) == ("line 2", field)
    assert reason in error.reason


def test_severe_designation_of_an_area_or_a_place_is_read__A7() -> None:
    assert parse_severe_designation(severe_designation()) == SevereDesignation(
        designation_id="ZJ-2021-001",
        region="330106",
        venue_id=None,
        lookback_days=14,
        effective_from=datetime(2021, 3, 15, tzinfo=BEIJING),
        effective_to=None,
        approved_by="浙江省疫情防控工作领导小组",
        assessment_ref="浙卫评〔2021〕1号",
    )
    place = parse_severe_designation(
        severe_designation(region=None, venue_id="V-77", lookback_days=0)
    )
    assert (place.region, place.venue_id, place.lookback_days) == (None, "V-77", 0)


@pytest.mark.parametrize(
    ("record", "field", "reason"),
    [
        (severe_designation(designation_id=None), "designation_id", "required"),
        (severe_designation(venue_id="V-77"), "region", "exactly one of region or venue_id"),
        (severe_designation(region=None), "region", "exactly one of region or venue_id"),
        (severe_designation(region="3301"), "region", "6, 9 or 12 digits"),
        (severe_designation(lookback_days=-1), "lookback_days", "at least 0"),
        (severe_designation(lookback_days="14"), "lookback_days", "whole number"),
        (severe_designation(lookback_days=None), "lookback_days", "required"),
        (severe_designation(effective_from="2021-03-15"), "effective_from", "UTC offset"),
        (
            severe_designation(effective_to="2021-03-14T00:00:00+08:00"),
            "effective_to",
            "later than effective_from",
        ),
        (severe_designation(approved_by=None), "approved_by", "required"),
        (severe_designation(assessment_ref=" "), "assessment_ref", "required"),
    ],
)
def test_bad_severe_designation_is_located__A7(
    record: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(InvalidRecordError) as raised:
        parse_severe_designation(record, "item 4")
    error = raised.value.error
    assert (error.location, error.field) == ("item 4", field)
    assert reason in error.reason


def test_area_feeds_read_every_format_and_keep_good_records__A6() -> None:
    records = [risk_area(), risk_area(level="extreme"), risk_area(region="310115")]
    as_jsonl = "".join(json.dumps(record) + "\n" for record in records)
    as_csv = (
        "region,level,effective_from,effective_to\n"
        "420106,high,2021-03-01T00:00:00+08:00,\n"
        "420106,extreme,2021-03-01T00:00:00+08:00,\n"
        "310115,high,2021-03-01T00:00:00+08:00,\n"
    )
    for source in (text(as_jsonl), text(json.dumps(records)), text(as_csv)):
        items = list(read_risk_areas(source))
        assert [type(item) for item in items] == [RiskArea, RecordError, RiskArea]


def test_severe_designations_from_csv_have_whole_number_lookback__A7() -> None:
    content = (
        "designation_id,region,venue_id,lookback_days,effective_from,approved_by,assessment_ref\n"
        "ZJ-1,330106,,14,2021-03-15T00:00:00+08:00,浙江省疫情防控工作领导小组,浙卫评〔2021〕1号\n"
        "ZJ-2,,V-1,fourteen,2021-03-15T00:00:00+08:00,浙江省疫情防控工作领导小组,浙卫评〔2021〕2号\n"
    )
    first, second = read_severe_designations(text(content))
    assert isinstance(first, SevereDesignation)
    assert first.lookback_days == 14
    assert isinstance(second, RecordError)
    assert (second.location, second.field) == ("line 3", "lookback_days")

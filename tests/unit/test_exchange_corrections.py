"""Corrections in the exchange format v1 (S5, S6): read, located when wrong, written back."""

from __future__ import annotations

from typing import Any

import pytest
from exchange_builders import event

from healthcode.domain.facts import Action, DesignatedColour, Designation, Retraction
from healthcode.exchange import InvalidRecordError, RecordError, parse_fact
from healthcode.exchange.writer import fact_record

AUTHORITY = "杭州市西湖区疫情防控指挥部"


def rejection(record: dict[str, Any]) -> RecordError:
    with pytest.raises(InvalidRecordError) as raised:
        parse_fact(record, "line 3")
    return raised.value.error


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (event("retraction", retracts="T-9"), Retraction("T-9", "样本登记错误")),
        (event("retraction", retracts=" T-9 ", reason=" "), Retraction("T-9", None)),
        (
            event("designation", color="green", authority=AUTHORITY),
            Designation(Action.START, DesignatedColour.GREEN, "密接的密接", AUTHORITY),
        ),
    ],
)
def test_corrections_are_read__S6(record: dict[str, Any], expected: object) -> None:
    assert parse_fact(record).payload == expected


@pytest.mark.parametrize(
    ("record", "field", "reason"),
    [
        (event("retraction", retracts=None), "retracts", "is required"),
        (event("retraction", retracts=7), "retracts", "must be a string"),
        (event("retraction", retracts="retraction-1"), "retracts", "not the retraction itself"),
        (event("retraction", reason=["a"]), "reason", "must be a string"),
        (event("designation", color="green", authority=None), "authority", "is required"),
        (event("designation", color="blue"), "color", "must be one of: red, yellow, green"),
    ],
)
def test_bad_corrections_are_refused_with_their_place__S6(
    record: dict[str, Any], field: str, reason: str
) -> None:
    error = rejection(record)
    assert (error.location, error.event_id, error.field) == ("line 3", record["event_id"], field)
    assert reason in error.reason


@pytest.mark.parametrize(
    "record",
    [
        event("retraction"),
        event("retraction", reason=None),
        event("designation", color="green"),
        event("designation", action="end", color="green", reason=None, authority=None),
    ],
)
def test_corrections_written_back_read_back_unchanged__S6(record: dict[str, Any]) -> None:
    fact = parse_fact(record)
    written = fact_record(fact)
    assert parse_fact(written) == fact
    if isinstance(fact.payload, Retraction):
        assert written["retracts"] == record["retracts"]
        assert written["event_id"] == record["event_id"]  # its own id, not the one it names

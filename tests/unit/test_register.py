"""The population register feed (SPEC §1 type `register`) and its pure rules (A1, S3, D2)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from exchange_builders import text

from healthcode.domain.facts import Source
from healthcode.domain.register import is_minor, normalised_name
from healthcode.exchange import InvalidRecordError, RecordError, parse_register_entry, read_register

NUMBER = "330106194303052421"


def entry(**changes: Any) -> dict[str, Any]:
    record = {
        "event_id": "hj-1",
        "source": "police",
        "type": "register",
        "occurred_at": "2021-01-01T00:00:00+08:00",
        "person": {"id_type": "resident_id", "id_number": NUMBER, "name": "王桂英"},
        "household": "3301060001",
    }
    return {name: value for name, value in (record | changes).items() if value is not None}


def test_a_register_record_is_read_with_its_household_and_phone__A1_S3() -> None:
    person = entry()["person"] | {"phone": "13800000001"}
    read = parse_register_entry(entry(person=person))
    assert (read.source, read.household, read.person.name, read.person.phone) == (
        Source.POLICE,
        "3301060001",
        "王桂英",
        "13800000001",
    )
    assert read.birth_date == date(1943, 3, 5)  # from the resident ID itself


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (entry(source="health"), "source"),
        (entry(type="trip"), "type"),
        (entry(household=None), "household"),
        (entry(household="户 1"), "household"),
        (entry(person={"id_type": "resident_id", "id_number": NUMBER}), "person.name"),
        (
            entry(person={"id_type": "resident_id", "id_number": NUMBER[:-1] + "0", "name": "王"}),
            "person.id_number",
        ),
        (entry(born="1943-13-01"), "born"),
    ],
)
def test_a_bad_register_record_is_located_without_echoing_it__S5_D2(
    record: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidRecordError) as raised:
        parse_register_entry(record)
    assert raised.value.error.field == field
    assert NUMBER not in str(raised.value)
    assert "王桂英" not in str(raised.value)


def test_the_register_streams_and_bad_records_do_not_stop_good_ones__S5() -> None:
    lines = "\n".join(json.dumps(record) for record in (entry(), entry(type="x"), entry()))
    read = list(read_register(text(lines), format="jsonl"))
    assert [isinstance(item, RecordError) for item in read] == [False, True, False]


@pytest.mark.parametrize(
    ("born", "today", "minor"),
    [
        (date(2005, 6, 1), date(2023, 5, 31), True),  # the day before the 18th birthday
        (date(2005, 6, 1), date(2023, 6, 1), False),
        (date(1943, 3, 5), date(2021, 3, 20), False),
        (None, date(2021, 3, 20), False),  # an unknown birth date is no shortcut
    ],
)
def test_a_minor_is_under_eighteen__S3(born: date | None, today: date, minor: bool) -> None:
    assert is_minor(born, today) is minor


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("王桂英", " 王 桂英 "),
        ("LI NA", "Li  Na"),
        ("阿卜杜·热合曼", "阿卜杜•热合曼"),
        ("ＬＩ", "li"),
    ],
)
def test_names_compare_in_one_form__A1(one: str, other: str) -> None:
    assert normalised_name(one) == normalised_name(other)


def test_different_names_stay_different__A1() -> None:
    assert normalised_name("王桂英") != normalised_name("王桂")

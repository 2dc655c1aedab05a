"""The three formats of SPEC §1 (JSON Lines, JSON array, CSV), streamed and with located errors."""

from __future__ import annotations

import io
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import pytest
from exchange_builders import event, person, resident_id, text

from healthcode.domain.facts import Fact, Symptom, Symptoms, SymptomsAction, Vaccination
from healthcode.exchange import InputUnusable, RawRecord, RecordError, read_facts, read_records
from healthcode.exchange.json_records import json_array_records


def jsonl(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def summary(items: Iterator[Fact | RecordError]) -> list[str]:
    """Each item as `ok <event_id>` or `<location> <field>`, to compare batches at a glance."""
    return [
        f"ok {item.event_id}" if isinstance(item, Fact) else f"{item.location} {item.field}"
        for item in items
    ]


def test_bad_record_is_located_and_good_records_go_on__S5() -> None:
    content = (
        jsonl(event(event_id="a"))
        + "\n"  # blank lines are skipped but still counted
        + jsonl(event(event_id="b", status="cured"))
        + '{"event_id": "c", \n'
        + "[1, 2]\n"
        + jsonl(event(event_id="d"))
    )
    items = list(read_facts(text(content)))
    assert summary(iter(items)) == ["ok a", "line 3 status", "line 4 None", "line 5 None", "ok d"]
    assert isinstance(items[1], RecordError)
    assert items[1].event_id == "b"
    assert "not valid JSON" in str(items[2])
    assert "must be a JSON object" in str(items[3])


def test_json_array_is_read_item_by_item__S5() -> None:
    records = [event(event_id="a"), event(event_id="b", source="nobody"), event(event_id="c")]
    content = json.dumps(records, ensure_ascii=False, indent=2)
    assert summary(read_facts(text(content))) == ["ok a", "item 2 source", "ok c"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[]", []),
        ("  \n [ ] \n", []),
        ('[{"event_id": "a"} {"event_id": "b"}]', ["item 1", "item 2 unreadable"]),
        ('[{"event_id": "a"}, {"event_id": }, {"event_id": "c"}]', ["item 1", "item 2 unreadable"]),
        ('[{"event_id": "a"},]', ["item 1", "item 2 unreadable"]),
        ('[{"event_id": "a"}', ["item 1", "item 2 unreadable"]),
        ('[{"event_id": "a"}, 7]', ["item 1", "item 2 bad"]),
        ('[{"event_id": "a"}] {"x": 1}', ["item 1", "after the array bad"]),
    ],
)
def test_syntax_error_in_an_array_stops_and_says_so__S5(content: str, expected: list[str]) -> None:
    def described(item: RawRecord | RecordError) -> str:
        if isinstance(item, RawRecord):
            return item.location
        return f"{item.location} {'unreadable' if 'cannot be read' in item.reason else 'bad'}"

    assert [described(item) for item in read_records(text(content))] == expected


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 7, 11, 64])
def test_array_items_split_across_chunks_are_whole__S5(chunk_size: int) -> None:
    values = [{"dose": 123456, "name": "张三", "ok": True, "none": None, "list": [1.5, "a\\"]}] * 4
    content = " [ " + ", ".join(json.dumps(value, ensure_ascii=False) for value in values) + " ] "
    chunks = (content[i : i + chunk_size] for i in range(0, len(content), chunk_size))
    decoded = list(json_array_records(chunks))
    assert [item.fields for item in decoded if not isinstance(item, RecordError)] == values


class GeneratedBytes(io.RawIOBase):
    """A byte stream produced on demand by a generator, which counts what it has produced."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._pending = piece
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def generated_array(count: int, produced: list[int]) -> TextIO:
    def pieces() -> Iterator[bytes]:
        yield b"["
        for number in range(count):
            produced[0] = number + 1
            record = event("vaccination", event_id=f"v-{number}", dose=number % 3 + 1)
            yield (", " if number else "").encode() + json.dumps(record).encode()
        yield b"]"

    return io.TextIOWrapper(io.BufferedReader(GeneratedBytes(pieces())), encoding="utf-8")


def test_large_json_array_streams_without_reading_it_all__S5() -> None:
    produced = [0]
    items = read_facts(generated_array(1_000_000, produced))
    first = [next(items) for _ in range(100)]
    assert [fact.event_id for fact in first if isinstance(fact, Fact)] == [
        f"v-{n}" for n in range(100)
    ]
    # Only a chunk or two ahead of what was asked for has been generated, of a million records.
    assert produced[0] < 1_000


def test_whole_generated_array_is_read_in_order__S5() -> None:
    produced = [0]
    facts = list(read_facts(generated_array(3_000, produced)))
    assert len(facts) == 3_000
    assert all(isinstance(fact, Fact) and fact.event_id == f"v-{n}" for n, fact in enumerate(facts))


CSV_HEADER = (
    "event_id,source,type,occurred_at,person_id_type,person_id_number,person_name,person_phone,"
    "action,symptoms,dose,product\n"
)


def test_csv_rows_are_unflattened_with_lists_and_empty_cells__S5() -> None:
    number = resident_id()
    content = (
        CSV_HEADER
        + f"s-1,resident,symptoms,2021-03-10T12:00:00+08:00,resident_id,{number},张三,,report,"
        + '"fever; respiratory",,\n'
        + f"v-1,health,vaccination,2021-03-10T12:00:00+08:00,resident_id,{number},,,,,2,科兴\n"
    )
    facts = [item for item in read_facts(text(content), format="csv") if isinstance(item, Fact)]
    assert [fact.payload for fact in facts] == [
        Symptoms(SymptomsAction.REPORT, (Symptom.FEVER, Symptom.RESPIRATORY)),
        Vaccination(2, "科兴"),
    ]
    assert (facts[0].person.name, facts[0].person.phone) == ("张三", None)


def test_csv_errors_count_the_header_as_line_one__S5() -> None:
    number = resident_id()
    good = f"2021-03-10T12:00:00+08:00,resident_id,{number},,,,,2,科兴\n"
    content = (
        CSV_HEADER
        + "v-1,health,vaccination,"
        + good
        + "\n"
        + "v-2,health,vaccination,2021-03-10T12:00:00+08:00,resident_id,,,,,,two,科兴\n"
        + "v-3,health,vaccination,"
        + good.replace("科兴\n", "科兴,extra\n")
        + "v-4,health,vaccination,"
        + good
    )
    assert summary(read_facts(text(content), format="csv")) == [
        "ok v-1",
        "line 4 person.id_number",
        "line 5 None",
        "ok v-4",
    ]


def test_csv_with_byte_order_mark_is_accepted__S5() -> None:
    row = (
        f"v-1,health,vaccination,2021-03-10T12:00:00+08:00,resident_id,{resident_id()},,,,,1,科兴\n"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.csv"
        path.write_bytes(("\ufeff" + CSV_HEADER + row).encode())
        assert summary(read_facts(path)) == ["ok v-1"]
    assert summary(read_facts(text("\ufeff" + CSV_HEADER + row))) == ["ok v-1"]


def test_format_comes_from_suffix_or_first_character__S5() -> None:
    record = event(event_id="a")
    as_jsonl, as_array = jsonl(record), json.dumps([record])
    with tempfile.TemporaryDirectory() as folder:
        for name, content in [
            ("a.jsonl", as_jsonl),
            ("a.ndjson", as_jsonl),
            ("a.json", as_array),
            ("a.txt", as_array),
            ("a.txt", "\n\n" + as_jsonl),
            ("a", as_jsonl),
        ]:
            path = Path(folder) / name
            path.write_text(content, encoding="utf-8")
            assert summary(read_facts(path)) == ["ok a"], name
    assert summary(read_facts(text(as_array))) == ["ok a"]
    assert summary(read_facts(text(as_jsonl), format="jsonl")) == ["ok a"]


def test_empty_json_lines_input_is_an_empty_batch__S5() -> None:
    assert list(read_facts(text(""))) == []
    assert list(read_facts(text("\n  \n"))) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("events.json", b'{"event_id": "a"}\n', "not an array"),
        ("events.json", b"", "not an array"),
        ("events.csv", b"", "no header"),
        ("events.csv", b"\nv-1,health\n", "no header"),
        ("events.csv", b"event_id,type,event_id\n", "repeats the column event_id"),
        ("events.jsonl", b"\xff\xfe{}", "not UTF-8"),
        ("events.csv", "event_id,type\n".encode("gb18030") + "张三".encode("gb18030"), "not UTF-8"),
    ],
)
def test_unusable_input_raises_one_line_reason__S5(name: str, content: bytes, message: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        with pytest.raises(InputUnusable, match=message) as raised:
            read_facts(path)
        assert "\n" not in str(raised.value)


def test_missing_file_or_unknown_format_raises_at_the_call__S5() -> None:
    with pytest.raises(InputUnusable, match="No such file"):
        read_facts(Path("/nonexistent/events.jsonl"))
    with pytest.raises(InputUnusable, match="unknown input format 'xml'"):
        read_facts(text(""), format="xml")


def test_bad_utf8_late_in_a_file_fails_before_any_record__S5() -> None:
    good = jsonl(*[event(event_id=f"e-{n}") for n in range(200)]).encode()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        path.write_bytes(good + b'{"event_id": "\xc3\x28"}\n')
        with pytest.raises(InputUnusable, match="not UTF-8"):
            read_facts(path)


def test_abandoned_reader_closes_its_file__S5() -> None:
    # Warnings are errors here, so an unclosed file would fail this test with a ResourceWarning.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        path.write_text(jsonl(event(event_id="a"), event(event_id="b")), encoding="utf-8")
        items = read_facts(path)
        assert isinstance(next(items), Fact)
        del items


def test_csv_person_columns_and_unknown_columns__S5() -> None:
    content = (
        "event_id,source,type,occurred_at,person_id_type,person_id_number,person_nationality,"
        "status,department_note\n"
        "d-1,health,diagnosis,2021-03-10T12:00:00+08:00,passport,e1234567,CHN,confirmed,复核\n"
    )
    (fact,) = read_facts(text(content), format="csv")
    assert isinstance(fact, Fact)
    assert (fact.person.id_number, fact.person.nationality) == ("E1234567", "CHN")


def test_error_line_reads_as_one_sentence__S5() -> None:
    bad = event(event_id="x-1", person=person(phone="12"))
    (error,) = read_facts(text(jsonl(bad)))
    assert str(error) == (
        "line 1 (event_id x-1), person.phone: "
        "must be a mainland mobile number, or + and a valid number of another country"
    )


def test_a_pipe_is_read_once_and_fully__S5() -> None:
    content = jsonl(event(event_id="a"), event(event_id="b")).encode()
    with tempfile.TemporaryDirectory() as folder:
        pipe = Path(folder) / "events.jsonl"
        os.mkfifo(pipe)
        writer = threading.Thread(target=pipe.write_bytes, args=(content,))
        writer.start()
        assert summary(read_facts(pipe)) == ["ok a", "ok b"]
        writer.join()


def test_bad_utf8_in_a_stream_is_unusable_when_reached__S5() -> None:
    good = jsonl(*[event(event_id=f"e-{n}") for n in range(1_000)]).encode()
    items = read_facts(io.TextIOWrapper(io.BytesIO(good + b"\xff\n"), encoding="utf-8"))
    assert summary(iter([next(items)])) == ["ok e-0"]
    with pytest.raises(InputUnusable, match="not UTF-8"):
        list(items)

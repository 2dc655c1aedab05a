"""CSV bulk files (SPEC §1): the same field names, `person.*` flattened, lists `;`-separated.

Cells are text, so the few fields that are not (lists, whole numbers) are shaped here into what the
same record would hold in JSON; the field readers then treat both formats alike.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator

from healthcode.exchange.errors import InputUnusable, RecordError, event_id_of
from healthcode.exchange.records import RawRecord

SECTIONS = frozenset({"person"})
"""Nested objects, flattened with an underscore: `person_id_number` is `person.id_number`."""

LIST_FIELDS = frozenset({"symptoms"})
WHOLE_NUMBER_FIELDS = frozenset({"dose", "lookback_days"})

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


def csv_records(lines: Iterable[str]) -> Iterator[RawRecord | RecordError]:
    """The rows after the header; blank rows are skipped, locations are physical line numbers."""
    reader = csv.reader(lines)
    try:
        columns = _header(next(reader, None))
    except csv.Error as error:
        raise InputUnusable(f"the CSV header cannot be read: {error}") from None
    while True:
        location = f"line {reader.line_num + 1}"
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield RecordError(location, None, None, f"not valid CSV: {error}")
            continue
        if any(cell.strip() for cell in row):
            yield _row_record(location, columns, row)


def _header(row: list[str] | None) -> list[str]:
    columns = [cell.strip() for cell in row or []]
    if not any(columns):
        raise InputUnusable("the CSV input has no header line")
    named = [column for column in columns if column]
    repeated = sorted({column for column in named if named.count(column) > 1})
    if repeated:
        # Two cells for one field would leave it unclear which one counts.
        raise InputUnusable("the CSV header repeats the column " + ", ".join(repeated))
    return columns


def _row_record(location: str, columns: list[str], row: list[str]) -> RawRecord | RecordError:
    record = _unflatten(
        (column, cell) for column, cell in zip(columns, row, strict=False) if column
    )
    unnamed = row[len(columns) :] + [
        cell for column, cell in zip(columns, row, strict=False) if not column
    ]
    if any(cell.strip() for cell in unnamed):
        reason = "row has values outside the named columns of the header"
        return RecordError(location, event_id_of(record), None, reason)
    return RawRecord(location, record)


def _unflatten(cells: Iterable[tuple[str, str]]) -> dict[str, object]:
    record: dict[str, object] = {}
    sections: dict[str, dict[str, object]] = {}
    for column, cell in cells:
        text = cell.strip()
        if not text:
            continue  # an empty cell means the field is absent
        section, _, field = column.partition("_")
        if section in SECTIONS and field:
            sections.setdefault(section, {})[field] = _cell_value(field, text)
        else:
            record[column] = _cell_value(column, text)
    record.update(sections)
    return record


def _cell_value(field: str, text: str) -> object:
    if field in LIST_FIELDS:
        return [item.strip() for item in text.split(";") if item.strip()]
    # A cell that is not a whole number stays text, so that the field reader reports it.
    if field in WHOLE_NUMBER_FIELDS and _WHOLE_NUMBER.fullmatch(text):
        return int(text)
    return text

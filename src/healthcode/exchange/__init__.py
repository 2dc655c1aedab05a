"""Reading the department exchange format v1 (SPEC §1): facts, risk areas, severe designations
and the population register.

    for item in read_facts(Path("events.jsonl")):
        if isinstance(item, RecordError):
            report(item)        # located, never echoes personal data
        else:
            keep(item)          # a validated Fact

Inputs stream (JSON Lines, JSON array or CSV); a bad record is yielded as a RecordError in its place
and never stops the good ones. InputUnusable is raised only when nothing can be read.
"""

from healthcode.exchange.areas import parse_risk_area, parse_severe_designation
from healthcode.exchange.errors import InputUnusable, InvalidRecordError, RecordError
from healthcode.exchange.events import parse_fact
from healthcode.exchange.formats import read_records
from healthcode.exchange.json_records import RawLine, decode_line
from healthcode.exchange.reader import (
    RecordParser,
    read_facts,
    read_parsed,
    read_register,
    read_risk_areas,
    read_severe_designations,
)
from healthcode.exchange.records import RawRecord
from healthcode.exchange.register import parse_register_entry

__all__ = [
    "InputUnusable",
    "InvalidRecordError",
    "RawLine",
    "RawRecord",
    "RecordError",
    "RecordParser",
    "decode_line",
    "parse_fact",
    "parse_register_entry",
    "parse_risk_area",
    "parse_severe_designation",
    "read_facts",
    "read_parsed",
    "read_records",
    "read_register",
    "read_risk_areas",
    "read_severe_designations",
]

"""Exchange batches over HTTP (SPEC §1): the importer's reading, located errors and report.

A request body is a JSON array of records (or JSON Lines with `application/x-ndjson`), read by the
same exchange reader as `healthcode import`, so a record is accepted or rejected exactly as it would
be from a file, with the same located reasons, which never repeat the values they are about.
Batches are bounded in bytes and in records; what is read is stored a transaction per page, and a
page counts as accepted only once it is committed.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from fastapi import Request

from healthcode.domain.text import Bilingual
from healthcode.exchange import InputUnusable, RecordError, RecordParser, read_parsed
from healthcode.services.refusals import Refusal, Refused

T = TypeVar("T")

MAX_RECORDS: Final = 10_000
# Exchange records are well under a kilobyte each: this leaves room for 10,000 generous ones.
MAX_BODY_BYTES: Final = 16 * 1024 * 1024
RECORDS_PER_TRANSACTION: Final = 1000
# The routes that read a batch, and so take its bound instead of the app's (web/body_limit.py).
BATCH_PATHS: Final = ("/api/v1/facts", "/api/v1/risk-areas", "/api/v1/severe-designations")
_JSON_LINES_TYPES: Final = ("application/x-ndjson", "application/jsonl", "application/x-jsonl")

TOO_LARGE = Refusal(
    413,
    "batch_too_large",
    Bilingual(
        f"一批最多 {MAX_BODY_BYTES // (1024 * 1024)} MB、{MAX_RECORDS} 条记录，请分批提交。",
        f"A batch holds at most {MAX_BODY_BYTES // (1024 * 1024)} MB and {MAX_RECORDS} records; "
        "split it.",
    ),
)
UNREADABLE = Refusal(
    400,
    "unreadable_batch",
    Bilingual(
        "无法读取提交内容：须为 UTF-8 编码的 JSON 数组（或 JSON Lines）。",
        "The body cannot be read: it must be a UTF-8 JSON array (or JSON Lines).",
    ),
)

# The OpenAPI description of a batch body, which the routes read themselves to keep the bounds.
BATCH_BODY: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": {"type": "object"}, "maxItems": MAX_RECORDS}
            },
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}

Located = tuple[str, T]  # where the record was ("item 3", "line 3") and what it became


@dataclass(slots=True)
class BatchReport:
    """The importer's report: what was stored, what was already there, what was refused and why."""

    accepted: int = 0
    duplicates: int = 0
    reevaluated: int = 0
    rejected: list[RecordError] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [error.as_json() for error in self.rejected],
            "reevaluated": self.reevaluated,
        }


async def read_body(request: Request) -> bytes:
    """The body, refused with 413 as soon as it exceeds the bound (declared or not)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Refused(TOO_LARGE)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise Refused(TOO_LARGE)
    return bytes(body)


def parse_batch(
    body: bytes, content_type: str, parse: RecordParser[T]
) -> tuple[list[Located[T]], list[RecordError]]:
    """The good records with their locations, and the located errors, in input order."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(UNREADABLE) from None
    kind = content_type.split(";", maxsplit=1)[0].strip().lower()
    format = "jsonl" if kind in _JSON_LINES_TYPES else "json"
    good: list[Located[T]] = []
    bad: list[RecordError] = []
    try:
        for item in read_parsed(io.StringIO(text), _located(parse), format=format):
            if isinstance(item, RecordError):
                bad.append(item)
            else:
                good.append(item)
            if len(good) + len(bad) > MAX_RECORDS:
                raise Refused(TOO_LARGE)
    except InputUnusable:
        raise Refused(UNREADABLE) from None
    return good, bad


def _located(parse: RecordParser[T]) -> RecordParser[Located[T]]:
    def parse_located(fields: Mapping[str, object], where: str) -> Located[T]:
        return where, parse(fields, where)

    return parse_located


def pages(items: Sequence[T], size: int = RECORDS_PER_TRANSACTION) -> Iterator[Sequence[T]]:
    """`items` a page at a time; one empty page for no items, so that the batch is still audited."""
    if not items:
        yield items
    for start in range(0, len(items), size):
        yield items[start : start + size]

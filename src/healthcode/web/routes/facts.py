"""Department systems submit facts (S5, D1): `POST /api/v1/facts`, the importer over HTTP.

Each record is read and validated exactly as `healthcode import events` reads a file, stored
idempotently by (source, event_id) through `services.facts.record_facts`, and reported the same
way: accepted, duplicates, and every rejected record with its location, field and reason.

D1: a client sends only the categories of facts it was registered for. A record of another type
is rejected by name with that reason, never dropped silently, and the others of the batch go on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from healthcode.domain.facts import EVENT_TYPES, Fact
from healthcode.domain.roles import Role
from healthcode.exchange import InvalidRecordError, RecordError, RecordParser, parse_fact
from healthcode.exchange.errors import event_id_of
from healthcode.services.facts import record_facts
from healthcode.web.access import Caller, allow
from healthcode.web.batches import (
    BATCH_BODY,
    BatchReport,
    Located,
    pages,
    parse_batch,
    read_body,
)
from healthcode.web.deps import metrics_of, unit_of_work

router = APIRouter(prefix="/api/v1", tags=["department feeds"])

NOT_REGISTERED = "this client is not registered to send events of this type (D1)"

Department = Annotated[
    Caller, Depends(allow(Role.DEPARTMENT, purpose="submit facts of the registered categories"))
]


@router.post("/facts", openapi_extra=BATCH_BODY)
async def submit_facts(request: Request, caller: Department) -> dict[str, Any]:
    """A batch of facts in exchange format v1 (a JSON array of records, at most 10,000).

    Answers once the accepted records are committed: re-sending the batch is safe (what is stored
    comes back as duplicates; the same event_id with other content is rejected).
    """
    body = await read_body(request)
    content_type = request.headers.get("content-type", "application/json")
    report = await run_in_threadpool(_submit, request, caller, body, content_type)
    metrics_of(request).fact_rejects.inc(len(report.rejected))
    return report.as_json()


def _submit(request: Request, caller: Caller, body: bytes, content_type: str) -> BatchReport:
    parse = _within_categories(caller.signed_in.categories)
    facts, rejected = parse_batch(body, content_type, parse)
    report = BatchReport()
    for page in pages(facts):
        _store(request, caller, page, report)
    # Records refused before storing are reported in input order with the conflicts found later.
    report.rejected = sorted(rejected + report.rejected, key=_input_order)
    with unit_of_work(request, caller) as uow:
        uow.audit(
            "facts.submit",
            detail=f"accepted={report.accepted} duplicates={report.duplicates} "
            f"rejected={len(report.rejected)}",
            outcome="ok" if not report.rejected else "partial",
        )
    return report


def _store(
    request: Request, caller: Caller, page: Sequence[Located[Fact]], report: BatchReport
) -> None:
    with unit_of_work(request, caller) as uow:
        result = record_facts(uow, [fact for _, fact in page], [where for where, _ in page])
    report.accepted += result.accepted
    report.duplicates += result.duplicates
    report.reevaluated += result.reevaluation.evaluated
    report.rejected += result.conflicts


def _within_categories(categories: frozenset[str]) -> RecordParser[Fact]:
    """`parse_fact`, after refusing a known type the client is not registered for (D1)."""

    def parse(fields: Mapping[str, object], where: str) -> Fact:
        kind = fields.get("type")
        if isinstance(kind, str) and kind in EVENT_TYPES and kind not in categories:
            raise InvalidRecordError(
                RecordError(where, event_id_of(fields), "type", NOT_REGISTERED)
            )
        return parse_fact(fields, where)

    return parse


def _input_order(error: RecordError) -> tuple[int, str]:
    """By the number in `item 12` or `line 12`; anything else (`after the array`) last."""
    number = error.location.rpartition(" ")[2]
    return (int(number), "") if number.isdigit() else (1 << 62, error.location)

"""`healthcode import events|areas|severe|register FILE`: department feeds into the database (S5,
A6, A7; `register` is the police population register that proves who a person is, A1 S3 D2).

Records are read as a stream and written in batches, one transaction each: a batch is counted as
accepted only once it is committed, so a crash loses nothing that was reported, and running the
same file again finishes the job (what is already stored comes back as duplicates).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from healthcode.cli import context
from healthcode.cli.errors import BadInputError, warn
from healthcode.exchange import (
    InputUnusable,
    RecordError,
    parse_fact,
    parse_register_entry,
    parse_risk_area,
    parse_severe_designation,
    read_parsed,
)
from healthcode.services.areas import record_risk_areas, record_severe_designations
from healthcode.services.facts import record_facts
from healthcode.services.households.register import record_register
from healthcode.services.runtime import Runtime

EXIT_SOME_REJECTED = 3


class Feed(StrEnum):
    EVENTS = "events"
    AREAS = "areas"
    SEVERE = "severe"
    REGISTER = "register"  # the police population register (issue #11)


@dataclass(slots=True)
class ImportReport:
    accepted: int = 0
    duplicates: int = 0
    unchanged: int = 0
    reevaluated: int = 0
    rejected: list[RecordError] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates + self.unchanged,
            "rejected": [error.as_json() for error in self.rejected],
            "reevaluated": self.reevaluated,
        }


def import_feed(
    feed: Annotated[
        Feed, typer.Argument(help="events, areas (risk areas), severe (A7) or register (police).")
    ],
    path: Annotated[
        Path, typer.Argument(help="JSON Lines, JSON array or CSV file.", dir_okay=False)
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    batch_size: Annotated[
        int, typer.Option(min=1, max=100_000, help="Records a transaction.")
    ] = 1000,
) -> int:
    runtime = context.runtime()
    parse = {
        Feed.EVENTS: parse_fact,
        Feed.AREAS: parse_risk_area,
        Feed.SEVERE: parse_severe_designation,
        Feed.REGISTER: parse_register_entry,
    }[feed]
    try:
        records = read_parsed(path, lambda fields, where: (where, parse(fields, where)))
    except InputUnusable as error:
        raise BadInputError(f"{path}: {error}") from None
    report = ImportReport()
    show_progress = sys.stderr.isatty() and not as_json
    with _progress(show_progress) as progress:
        task = progress.add_task(f"importing {path.name}", total=None) if progress else None
        try:
            for batch in _batches(records, batch_size, report):
                _store(runtime, feed, batch, report)
                if progress is not None and task is not None:
                    progress.update(task, advance=len(batch))
        except InputUnusable as error:
            _print(report, as_json)
            raise BadInputError(f"{path}: {error} (records before it were imported)") from None
    _print(report, as_json)
    return EXIT_SOME_REJECTED if report.rejected else 0


def _progress(shown: bool) -> Any:
    if not shown:
        return nullcontext(None)
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}: {task.completed:,} records"),
        TimeElapsedColumn(), transient=True,
    )  # fmt: skip


Located = tuple[str, Any]


def _batches(
    records: Iterable[Located | RecordError], size: int, report: ImportReport
) -> Iterator[list[Located]]:
    batch: list[Located] = []
    for record in records:
        if isinstance(record, RecordError):
            report.rejected.append(record)
            warn(f"rejected {record}")
            continue
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _store(runtime: Runtime, feed: Feed, batch: list[Located], report: ImportReport) -> None:
    locations = [where for where, _ in batch]
    values = [value for _, value in batch]
    with runtime.unit_of_work(context.actor(_ROLES[feed], "department_feed")) as uow:
        if feed is Feed.EVENTS:
            result = record_facts(uow, values, locations)
            report.accepted += result.accepted
            report.duplicates += result.duplicates
            report.reevaluated += result.reevaluation.evaluated
            for conflict in result.conflicts:
                warn(f"rejected {conflict}")
            report.rejected += result.conflicts
            return
        if feed is Feed.REGISTER:
            entries = record_register(uow, values, locations)
            report.accepted += entries.recorded
            report.unchanged += entries.unchanged
            for conflict in entries.conflicts:
                warn(f"rejected {conflict}")
            report.rejected += entries.conflicts
            return
        record = record_risk_areas if feed is Feed.AREAS else record_severe_designations
        areas = record(uow, values)
        report.accepted += areas.added + areas.changed
        report.unchanged += areas.unchanged
        report.reevaluated += areas.reevaluated


_ROLES: Mapping[Feed, str] = {
    Feed.EVENTS: "department_client",
    Feed.AREAS: "area_publisher",
    Feed.SEVERE: "area_publisher",
    Feed.REGISTER: "department_client",
}


def _print(report: ImportReport, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
        return
    typer.echo(
        f"accepted {report.accepted}, duplicates {report.duplicates + report.unchanged}, "
        f"rejected {len(report.rejected)}; codes re-evaluated: {report.reevaluated}"
    )

"""`healthcode import events|areas|severe|register FILE`: department feeds into the database (S5,
A6, A7; `register` is the police population register that proves who a person is, A1 S3 D2).

Records are read as a stream and written in batches, one transaction each: a batch is counted as
accepted only once it is committed, so a crash loses nothing that was reported, and running the
same file again finishes the job (what is already stored comes back as duplicates). For events,
worker processes validate, digest and seal the batches (`--workers`, ADR 0014) and this process
alone writes them, in file order.

Codes are brought up to date by population jobs (services/population_jobs.py), run here once the
records are in, with a progress bar on a terminal: for events, each batch queues the persons it
touched in its own transaction, and one job after the last batch re-evaluates each of them once;
for areas, each batch's changes start a job over the persons they reach. Should the import die
before its job, the queued persons are kept and the next run (or the scheduled round) does them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from healthcode.cli import context
from healthcode.cli.errors import BadInputError, warn
from healthcode.exchange import (
    InputUnusable,
    RecordError,
    parse_register_entry,
    parse_risk_area,
    parse_severe_designation,
    read_parsed,
    read_records,
)
from healthcode.services.areas import (
    AreaReport,
    record_risk_areas,
    record_severe_designations,
    run_area_jobs,
)
from healthcode.services.fact_batches import (
    Workers,
    default_workers,
    prepared_batches,
    worker_pool,
)
from healthcode.services.facts import record_batch
from healthcode.services.households.register import record_register
from healthcode.services.population_jobs import (
    JobKind,
    JobProgress,
    analyze_after_load,
    run_job,
    start_queued,
    worker_name,
)
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
    jobs: list[int] = field(default_factory=list)  # areas: population jobs still to run
    started: bool = False  # the input could be opened: an InputUnusable after is part-way

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
    workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=256,
            help="events: processes validating and sealing records (default: one a core "
            "from four cores up, else 0: none, all in this process).",
            show_default=False,
        ),
    ] = None,
) -> int:
    workers = default_workers() if workers is None else workers
    runtime = context.runtime()
    report = ImportReport()
    show_progress = sys.stderr.isatty() and not as_json
    pool = worker_pool(workers if feed is Feed.EVENTS else 0, runtime.settings.keys_dir)
    try:
        with pool as workers_pool, _progress(show_progress) as progress:
            task = progress.add_task(f"importing {path.name}", total=None) if progress else None

            def advance(records: int) -> None:
                if progress is not None and task is not None:
                    progress.update(task, advance=records)

            if feed is Feed.EVENTS:
                load_events(runtime, path, batch_size, workers_pool, report, advance)
            else:
                _load_others(runtime, feed, path, batch_size, report, advance)
    except InputUnusable as error:
        if not report.started:
            raise BadInputError(f"{path}: {error}") from None
        # The batches before it were imported: their codes are brought up to date all the same.
        _reevaluate(runtime, feed, report, show_progress)
        _print(report, as_json)
        raise BadInputError(f"{path}: {error} (records before it were imported)") from None
    _reevaluate(runtime, feed, report, show_progress)
    _print(report, as_json)
    return EXIT_SOME_REJECTED if report.rejected else 0


def load_events(
    runtime: Runtime,
    path: Path,
    batch_size: int,
    workers: Workers | None,
    report: ImportReport,
    advance: Callable[[int], None] = lambda records: None,
) -> None:
    """The load of an events import, without its re-evaluation: every batch of `batch_size`
    records validated, digested and sealed by the `workers`' processes (ADR 0014; without, in
    this one) and stored here in file order, one transaction each. Raises InputUnusable (the
    batches before it stored)."""
    items = read_records(path, decode_lines=False)
    report.started = True
    copy_fields = runtime.engine.dialect.name == "postgresql"  # its binary COPY (ADR 0024)
    for batch in prepared_batches(items, batch_size, runtime.vault, workers, copy_fields):
        for rejected in batch.rejected:
            warn(f"rejected {rejected}")
        report.rejected += batch.rejected
        if batch.facts:
            with runtime.unit_of_work(context.actor(_ROLES[Feed.EVENTS], "department_feed")) as uow:
                result = record_batch(uow, batch, defer=True)
            report.accepted += result.accepted
            report.duplicates += result.duplicates
            for conflict in result.conflicts:
                warn(f"rejected {conflict}")
            report.rejected += result.conflicts
        advance(len(batch.facts) + len(batch.rejected))


def _load_others(
    runtime: Runtime,
    feed: Feed,
    path: Path,
    batch_size: int,
    report: ImportReport,
    advance: Callable[[int], None],
) -> None:
    parse = {
        Feed.AREAS: parse_risk_area,
        Feed.SEVERE: parse_severe_designation,
        Feed.REGISTER: parse_register_entry,
    }[feed]
    records = read_parsed(path, lambda fields, where: (where, parse(fields, where)))
    report.started = True
    for batch in _batches(records, batch_size, report):
        _store(runtime, feed, batch, report)
        advance(len(batch))


def _reevaluate(runtime: Runtime, feed: Feed, report: ImportReport, shown: bool) -> None:
    """Run the population jobs that bring the imported persons' codes up to date, here."""
    if feed is Feed.REGISTER:
        return  # the register proves identities; it moves no code
    if feed is Feed.EVENTS and report.accepted:  # the bulk load: an area list is a few rows
        with runtime.unit_of_work(context.actor(_ROLES[feed], "department_feed")) as uow:
            analyze_after_load(uow)
    worker = worker_name("import")
    with _job_progress(shown) as bar:
        on_progress = None if bar is None else _bar_updater(bar)
        if feed is Feed.EVENTS:
            with runtime.unit_of_work(context.actor(_ROLES[feed], "department_feed")) as uow:
                # Every person queued and not yet taken by a job: this import's, and any an
                # earlier run left when it died between its last batch and its job.
                job = start_queued(uow, JobKind.IMPORT, f"import {feed.value}")
            if job is not None:
                report.reevaluated += run_job(runtime, job, worker, on_progress).evaluated
            return
        areas = AreaReport(jobs=report.jobs)
        report.reevaluated += run_area_jobs(runtime, areas, worker, on_progress).reevaluated
        report.jobs = []


def _job_progress(shown: bool) -> Any:
    return _stderr_progress(
        shown, TextColumn("{task.description}"), BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} persons"),
    )  # fmt: skip


def _bar_updater(bar: Progress) -> Callable[[JobProgress], None]:
    tasks: dict[int, Any] = {}

    def update(progress: JobProgress) -> None:
        if progress.job_id not in tasks:
            description = "重新评估 re-evaluating"
            tasks[progress.job_id] = bar.add_task(description, total=progress.persons)
        bar.update(tasks[progress.job_id], completed=progress.evaluated)

    return update


def _progress(shown: bool) -> Any:
    return _stderr_progress(shown, TextColumn("{task.description}: {task.completed:,} records"))


def _stderr_progress(shown: bool, *columns: ProgressColumn) -> Any:
    """A transient bar on stderr (stdout is the report's), or nothing off a terminal."""
    if not shown:
        return nullcontext(None)
    return Progress(
        SpinnerColumn(), *columns, TimeElapsedColumn(), transient=True,
        console=Console(stderr=True),
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
        report.jobs += areas.jobs


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

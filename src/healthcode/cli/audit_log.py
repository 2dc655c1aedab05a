"""`healthcode audit verify` and `healthcode audit seal`: the audit log's MACs and signed heads."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from healthcode.cli import context
from healthcode.cli.errors import BadInputError
from healthcode.db.audit_verify import ChainReport, entry_count
from healthcode.services.audit_log import verification_json, verify_audit_log
from healthcode.services.audit_seal import seal_audit_log, shipped_heads
from healthcode.services.runtime import Runtime

audit_app = typer.Typer(help="The audit log: per-entry MACs and signed tree heads.")

EXIT_TAMPERED = 4


@audit_app.command(
    "verify", help="Check that no audit entry was edited, deleted, reordered or truncated."
)
def audit_verify(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
    heads: Annotated[
        Path | None,
        typer.Option("--heads", help="The shipped heads file (one signed head a line) to check."),
    ] = None,
) -> int:
    if heads is not None and not heads.is_file():
        raise BadInputError(f"--heads: no file at {heads}")
    runtime = context.runtime()
    shown = sys.stderr.isatty() and not as_json
    who = context.actor("auditor", "audit_verification")
    with (
        _progress(shown, _total(runtime) if shown else 0) as advance,
        runtime.unit_of_work(who) as uow,
    ):
        report = verify_audit_log(uow, _shipped(heads), advance)
    window = int(runtime.settings.audit_unsealed_window.total_seconds())
    if as_json:
        typer.echo(json.dumps(verification_json(report, window), ensure_ascii=False))
    else:
        _print(report, window)
    return 0 if report.intact else EXIT_TAMPERED


@audit_app.command("seal", help="Sign a head over every audit entry that can no longer change.")
def audit_seal() -> None:
    runtime = context.runtime()
    head = seal_audit_log(runtime)
    if head is None:
        typer.echo("nothing new to seal")
        return
    typer.echo(
        f"sealed {head.tree_size} entries, root {head.root_hash.hex()}; "
        f"ship {runtime.settings.audit_heads_file} to write-once storage"
    )


def _shipped(path: Path | None) -> Iterator[tuple[str, object]]:
    return iter(()) if path is None else shipped_heads(path)


def _print(report: ChainReport, window: int) -> None:
    for problem in report.problems:
        typer.echo(problem, err=True)
    if report.intact:
        typer.echo(f"audit log intact: {report.entries} entries, {report.heads} signed heads")
    tail = f"{report.unsealed} entries not yet sealed"
    if report.oldest_unsealed_at is not None:
        tail += f", the oldest written at {report.oldest_unsealed_at.isoformat()}"
    typer.echo(f"{tail} (sealed within {window} s; until then a truncation is not evident)")


def _total(runtime: Runtime) -> int:
    with runtime.engine.connect() as connection:
        return entry_count(connection)


@contextmanager
def _progress(shown: bool, total: int) -> Iterator[Callable[[int], None] | None]:
    if not shown:
        with nullcontext():
            yield None
        return
    bar: Any = Progress(
        TextColumn("verifying the audit log"), BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"), TimeElapsedColumn(), transient=True,
    )  # fmt: skip
    with bar:
        task = bar.add_task("verify", total=total)
        yield lambda done: bar.update(task, advance=done)

"""`healthcode destroy`: the end of the epidemic (D1), and `destroy verify-report`.

Irreversible, so it asks for an exact phrase, and `--dry-run` shows first what would be deleted,
what kept, and the counts that outlive the data. Stop the web service and the worker first.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Final

import typer

from healthcode.cli import context
from healthcode.cli.errors import BadInputError
from healthcode.cli.trust import read_json
from healthcode.domain.destruction import CONFIRMATION
from healthcode.services.destruction.deletion import (
    BATCH,
    DestructionError,
    destroy_personal_data,
    plan_destruction,
    verify_report,
)

ROLE: Final = "security_admin"
PURPOSE: Final = "end_of_epidemic_destruction"

destroy = typer.Typer(help="End of the epidemic (D1): destroy personal data, sign a report.")


@destroy.callback(invoke_without_command=True)
def destroy_command(
    ctx: typer.Context,
    report: Annotated[
        Path | None, typer.Option("--report", help="Where to keep the signed report (new file).")
    ] = None,
    confirm: Annotated[
        str | None, typer.Option("--confirm", help=f'The exact phrase "{CONFIRMATION}".')
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be deleted and kept; delete nothing.")
    ] = False,
    batch: Annotated[int, typer.Option(min=1, max=BATCH, help="Rows per transaction.")] = BATCH,
) -> None:
    """Delete every resident's data, keep anonymised counts, destroy the keys (irreversible)."""
    if ctx.invoked_subcommand is not None:
        return
    if dry_run:
        runtime = context.runtime()
        with runtime.unit_of_work(context.actor(ROLE, PURPOSE)) as uow:
            plan = plan_destruction(uow, batch)
        typer.echo(json.dumps(plan.as_json(), ensure_ascii=False, indent=2))
        return
    if confirm != CONFIRMATION:
        raise BadInputError(
            f'this destroys every resident\'s data for good: add --confirm "{CONFIRMATION}" '
            "(see first what it does with --dry-run)"
        )
    if report is None:
        raise BadInputError("--report PATH is needed: where the signed report is kept")
    _check_new_file(report)
    runtime = context.runtime()
    try:
        done = destroy_personal_data(
            runtime, context.actor(ROLE, PURPOSE), lambda document: _keep(report, document), batch
        )
    except DestructionError as error:
        raise BadInputError(str(error)) from None
    typer.echo(json.dumps(done.document, indent=2))
    typer.echo(f"personal data destroyed; signed report kept in {report}", err=True)


@destroy.command("verify-report", help="Check a destruction report against the root public key.")
def verify_report_command(
    path: Annotated[Path, typer.Argument(help="The signed report (JWS) `destroy` wrote.")],
    root_jwk: Annotated[
        Path, typer.Option("--root-jwk", help="The issuer's published root public JWK.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the verified report.")] = False,
) -> None:
    try:
        payload = verify_report(read_json(path), read_json(root_jwk))
    except DestructionError as error:
        raise BadInputError(str(error)) from None
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    deleted = sum(int(count) for count in payload.get("deleted_rows", {}).values())
    typer.echo(
        f"verified: {payload.get('issuer')} destroyed {deleted} rows, "
        f"completed at {payload.get('completed_at')}"
    )


def _check_new_file(path: Path) -> None:
    """Before anything is deleted: the report must be writable, and never replace another."""
    if path.exists():
        raise BadInputError(f"{path} exists; a destruction report is never overwritten")
    if not path.parent.is_dir() or not os.access(path.parent, os.W_OK):
        raise BadInputError(f"{path.parent} is not a writable directory")


def _keep(path: Path, document: dict[str, str]) -> None:
    with path.open("x", encoding="utf-8") as file:
        file.write(json.dumps(document, indent=2) + "\n")
        file.flush()
        os.fsync(file.fileno())

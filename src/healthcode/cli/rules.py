"""`healthcode rules draft|approve|dry-run|list`: ruleset versions over time (A5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from healthcode.cli import context
from healthcode.cli.errors import BadInputError
from healthcode.db.rulesets_store import FOREIGN_ACCEPTANCE, StoredRuleset
from healthcode.domain.documents import RulesetError
from healthcode.domain.regions import division
from healthcode.domain.rules import parse_ruleset
from healthcode.domain.timezones import display_instant
from healthcode.foreign.acceptance import parse_acceptance
from healthcode.rulesets import read_ruleset_document
from healthcode.services.rulesets import (
    DryRun,
    approve_ruleset,
    draft_ruleset,
    dry_run,
    moves_json,
)

rules = typer.Typer(help="Ruleset versions: draft, approval by a second person, dry run (A5).")

RulesetFile = Annotated[
    Path, typer.Argument(help="The ruleset, YAML or JSON (.json).", dir_okay=False)
]
AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@rules.command("draft", help="Store a new ruleset version as a draft awaiting approval.")
def draft(path: RulesetFile) -> None:
    document = _document(path)
    with context.runtime().unit_of_work(context.actor("rule_author", "ruleset_draft")) as uow:
        stored = draft_ruleset(uow, document)
    typer.echo(
        f"drafted {stored.label}, valid from {display_instant(stored.valid_from)}; "
        f"a second person approves it with: healthcode rules approve "
        f"{stored.ruleset_id} {stored.version}"
    )


@rules.command("approve", help="Approve a draft written by someone else.")
def approve(
    ruleset_id: Annotated[str, typer.Argument(help="The ruleset's id.")],
    version: Annotated[str, typer.Argument(help="The version to approve.")],
) -> None:
    with context.runtime().unit_of_work(context.actor("rule_approver", "ruleset_approval")) as uow:
        stored = approve_ruleset(uow, ruleset_id, version)
    typer.echo(
        f"approved {stored.label}; in force from {display_instant(stored.valid_from)}, "
        "from when the worker re-evaluates every code under it"
    )


@rules.command("dry-run", help="How many people a version would move, from → to, by region.")
def dry_run_command(path: RulesetFile, as_json: AsJson = False) -> None:
    document = _document(path)
    with context.runtime().unit_of_work(context.actor("rule_author", "ruleset_dry_run")) as uow:
        report = dry_run(uow, document)
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        _print_dry_run(report)


@rules.command("list", help="Every stored version with its status.")
def list_command(as_json: AsJson = False) -> None:
    with context.runtime().unit_of_work(context.actor("rule_author", "ruleset_list")) as uow:
        stored = uow.rulesets.all()
    shown = [_listed(version) for version in stored]
    if as_json:
        typer.echo(json.dumps(shown, ensure_ascii=False))
        return
    table = Table()
    for name in _LISTED:  # folded, not cut short: every value is shown whole
        table.add_column(name.replace("_", " "), overflow="fold")
    for row in shown:
        table.add_row(*(_cell(name, row[name]) for name in _LISTED))
    Console().print(table)


_LISTED = ("id", "version", "valid_from", "status", "author", "approved_by", "activated_at")
_INSTANTS = frozenset(["valid_from", "activated_at"])


def _listed(stored: StoredRuleset) -> dict[str, Any]:
    return {
        "id": stored.ruleset_id,
        "version": stored.version,
        "valid_from": display_instant(stored.valid_from),
        "status": stored.status,
        "author": stored.author,
        "approved_by": stored.approved_by,
        "activated_at": display_instant(stored.activated_at),
    }


def _cell(name: str, value: str | None) -> str:
    if value is None:
        return "—"
    # Instants to the minute, in China time like everything shown (the JSON keeps them whole).
    return value[:16].replace("T", " ") if name in _INSTANTS else value


def _document(path: Path) -> dict[str, Any]:
    """The ruleset in the file, checked here so that a problem names the file and its place."""
    try:
        document = read_ruleset_document(path)
    except RulesetError as error:
        raise BadInputError(str(error)) from None
    # A version of the foreign certificates' acceptance rules shares the lifecycle (ADR 0016).
    check = parse_acceptance if document.get("kind") == FOREIGN_ACCEPTANCE else parse_ruleset
    try:
        check(document)
    except RulesetError as error:
        raise BadInputError(f"{path}: {error}") from None
    return document


def _print_dry_run(report: DryRun) -> None:
    console = Console()
    console.print(f"{report.ruleset}: {report.evaluated:,} codes evaluated")
    for colour, count in sorted(report.turned().items()):
        console.print(f"this version turns {count:,} {_people(count)} {colour}")
    if not report.changes:
        console.print("no one would change colour")
        return
    table = Table("region", "from", "to", "people")
    for move in moves_json(report.changes):
        table.add_row("all", *_move_cells(move))
    for region, moves in report.by_region.items():
        for move in moves_json(moves):
            table.add_row(_region_name(region), *_move_cells(move))
    console.print(table)


def _people(count: int) -> str:
    return "person" if count == 1 else "people"


def _move_cells(move: dict[str, Any]) -> tuple[str, str, str]:
    return (move["from"] or "(no code)", move["to"], f"{move['count']:,}")


def _region_name(region: str) -> str:
    known = division(region.ljust(6, "0")) if region.isdigit() else None
    return region if known is None else f"{region} {known.name}"

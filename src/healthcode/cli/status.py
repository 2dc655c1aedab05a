"""`healthcode status`: a person's stored code, in the shape `assess` prints (SPEC §2)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from healthcode.cli import context
from healthcode.cli.choices import person_key
from healthcode.domain.identity import IdType
from healthcode.services.status import code_status

EXIT_NOT_FOUND = 1


def status(
    id_type: Annotated[IdType, typer.Option("--id-type", help="resident_id, passport, …")],
    id_number: Annotated[str, typer.Option("--id-number", help="The document number.")],
    purpose: Annotated[
        str, typer.Option(help="Why you look (written to the audit log).")
    ] = "status_query",
    as_json: Annotated[bool, typer.Option("--json", help="JSON, even on a terminal.")] = False,
) -> int:
    key = person_key(id_type, id_number)
    runtime = context.runtime()
    with runtime.unit_of_work(context.actor("operator", purpose)) as uow:
        found = code_status(uow, key)
    if found is None:
        typer.echo("healthcode: no such person", err=True)
        return EXIT_NOT_FOUND
    shown = found.as_json(key)
    if as_json:
        typer.echo(json.dumps(shown, ensure_ascii=False))
    else:
        state = found.state
        since = "" if state is None else f" since {state.since.isoformat()}"
        typer.echo(
            f"{found.person.id_number_masked} {found.person.name_masked or ''}: "
            f"{shown['color']}{since} {', '.join(shown.get('rules', []))}"
        )
    return 0

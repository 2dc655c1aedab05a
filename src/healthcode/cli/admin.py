"""`healthcode db upgrade`, `healthcode keys init|rotate-data-key`, `healthcode audit verify`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from healthcode.cli import context
from healthcode.cli.errors import BadInputError
from healthcode.db import audit
from healthcode.db.engine import connect
from healthcode.db.migrate import current_revision, upgrade
from healthcode.security.keyring import KeyringError, add_key_version, init_keyring

db = typer.Typer(help="The database.")
keys = typer.Typer(help="Key material for personal data, kept outside the database.")
audit_app = typer.Typer(help="The hash-chained audit log.")

EXIT_TAMPERED = 4


@db.command("upgrade", help="Create or migrate the database to the current schema.")
def db_upgrade() -> None:
    engine = connect(context.settings().database_url)
    upgrade(engine)
    typer.echo(f"database at revision {current_revision(engine)}")
    engine.dispose()


@keys.command("init", help="Create the keyring (refuses to replace an existing one).")
def keys_init() -> None:
    settings = context.settings()
    try:
        path = init_keyring(settings.keys_dir, context.clock_now(settings))
    except KeyringError as error:
        raise BadInputError(str(error)) from None
    typer.echo(f"keyring created at {path}; back it up: without it no personal data can be read")


@keys.command("rotate-data-key", help="Seal new personal data under a new key version.")
def keys_rotate() -> None:
    settings = context.settings()
    try:
        version = add_key_version(settings.keys_dir, context.clock_now(settings))
    except KeyringError as error:
        raise BadInputError(str(error)) from None
    typer.echo(f"data key version {version} is now active; restart running services")


@audit_app.command("verify", help="Check that no audit entry was edited, deleted or reordered.")
def audit_verify(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
) -> int:
    runtime = context.runtime()
    with runtime.engine.connect() as connection:
        report = audit.verify(connection, runtime.audit_key)
    if as_json:
        typer.echo(json.dumps({"entries": report.entries, "problems": list(report.problems)}))
    elif report.intact:
        typer.echo(f"audit chain intact: {report.entries} entries")
    else:
        for problem in report.problems:
            typer.echo(problem, err=True)
    return 0 if report.intact else EXIT_TAMPERED

"""`healthcode db upgrade`, `healthcode keys …` (the audit log's commands are in `audit_log.py`).

`keys init|rotate-data-key` manage the keyring that seals personal data; `keys rotate|revoke|list`
the signing keys of codes (issue #4), whose private halves that keyring seals.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from healthcode.cli import context
from healthcode.cli.errors import BadInputError
from healthcode.db.engine import connect
from healthcode.db.migrate import current_revision, upgrade
from healthcode.domain.timezones import display_instant
from healthcode.security.keyring import KeyringError, add_key_version, init_keyring
from healthcode.services.codes.signing import (
    SigningKeyError,
    own_keys,
    revoke_signing_key,
    rotate_signing_key,
)
from healthcode.tokens.keys import TrustedKey

db = typer.Typer(help="The database.")
keys = typer.Typer(help="Key material: the keyring for personal data, and code signing keys.")


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


@keys.command("rotate", help="Sign new codes with a new key; the old one verifies its codes.")
def keys_rotate_signing() -> None:
    with context.runtime().unit_of_work(context.actor("security_admin", "key_rotation")) as uow:
        new = rotate_signing_key(uow)
    typer.echo(f"code signing key {new.kid} of {new.issuer} is now active; publish the trust list")


@keys.command("revoke", help="Revoke a code signing key: its codes fail at once.")
def keys_revoke(
    kid: Annotated[str, typer.Argument(help="The key id, as `keys list` shows it.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (written to the audit log).")],
) -> None:
    with context.runtime().unit_of_work(context.actor("security_admin", "key_revocation")) as uow:
        try:
            revoked = revoke_signing_key(uow, kid, reason)
        except SigningKeyError as error:
            raise BadInputError(str(error)) from None
    typer.echo(f"signing key {revoked.kid} revoked; publish the trust list so checkpoints learn it")


@keys.command("list", help="This issuer's signing keys with their status and validity.")
def keys_list(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    with context.runtime().unit_of_work(context.actor("security_admin", "key_list")) as uow:
        listed = [_key_json(key) for key in own_keys(uow)]
    if as_json:
        typer.echo(json.dumps(listed))
        return
    for key in listed:
        typer.echo(
            f"{key['kid']}  {key['purpose']:<10}  {key['status']:<7}  "
            f"from {key['not_before']}  until {key['not_after'] or '-'}"
        )


def _key_json(key: TrustedKey) -> dict[str, str | None]:
    return {
        "kid": key.kid,
        "issuer": key.issuer,
        "purpose": key.purpose.value,
        "status": key.status.value,
        "not_before": display_instant(key.not_before),
        "not_after": display_instant(key.not_after),
    }

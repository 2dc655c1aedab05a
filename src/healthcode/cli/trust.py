"""`healthcode trust-list [root]` and `healthcode gateway register|submit|list` (S1)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Annotated, Any, Final

import typer

from healthcode.cli import context
from healthcode.cli.errors import BadInputError
from healthcode.domain.timezones import display_instant
from healthcode.services.codes.gateway import (
    GatewayError,
    gateway_list,
    register_issuer,
    submit_trust_list,
)
from healthcode.services.codes.signing import active_signing_key
from healthcode.services.codes.trust_lists import publish_trust_list
from healthcode.tokens.jwk import public_jwk
from healthcode.tokens.keys import KeyPurpose

trust_list_app = typer.Typer(help="This issuer's signed trust list of public keys (S1).")
gateway = typer.Typer(help="Gateway mode: collect issuers' trust lists, serve them combined (S1).")

# A trust list of a few hundred keys is tens of kilobytes; anything far larger is not one.
MAX_DOCUMENT_BYTES: Final = 5 * 1024 * 1024
FETCH_TIMEOUT_SECONDS: Final = 10

Out = Annotated[
    Path | None, typer.Option("--out", help="Write to this file instead of standard output.")
]


@trust_list_app.callback(invoke_without_command=True)
def trust_list_command(ctx: typer.Context, out: Out = None) -> None:
    """Print this issuer's signed trust list (a JWS, flattened JSON serialization)."""
    if ctx.invoked_subcommand is not None:
        return
    with context.runtime().unit_of_work(context.actor("system", "trust_list_publication")) as uow:
        document = publish_trust_list(uow)
    emit(document, out)


@trust_list_app.command("root", help="Print the root public key (JWK) to give to gateways.")
def trust_list_root(out: Out = None) -> None:
    with context.runtime().unit_of_work(context.actor("system", "trust_list_publication")) as uow:
        root = active_signing_key(uow, KeyPurpose.TRUST_LIST)
    emit(public_jwk(root.public_key), out)


@gateway.command("register", help="Trust ISSUER's lists when they verify under its root key.")
def gateway_register(
    issuer: Annotated[str, typer.Argument(help="e.g. CN-32 (Jiangsu), CN (national platform).")],
    root_jwk_file: Annotated[Path, typer.Argument(help="The issuer's root public JWK.")],
) -> None:
    root = read_json(root_jwk_file)
    runtime = context.runtime()
    with runtime.unit_of_work(context.actor("security_admin", "trust_registration")) as uow:
        try:
            registered = register_issuer(uow, issuer, root)
        except GatewayError as error:
            raise BadInputError(str(error)) from None
    typer.echo(f"registered {registered.issuer} with root key {registered.root_jwk['kid']}")


@gateway.command("submit", help="Accept an issuer's trust list from a file or a URL.")
def gateway_submit(
    list_file: Annotated[Path | None, typer.Argument(help="The signed trust list.")] = None,
    source: Annotated[
        str | None, typer.Option("--from", help="Fetch the list from this http(s) URL.")
    ] = None,
) -> None:
    if (list_file is None) == (source is None):
        raise BadInputError("give either LIST_FILE or --from URL")
    document = read_json(list_file) if list_file is not None else fetch_json(str(source))
    runtime = context.runtime()
    with runtime.unit_of_work(context.actor("system", "trust_list_exchange")) as uow:
        try:
            received = submit_trust_list(uow, document)
        except GatewayError as error:
            raise BadInputError(str(error)) from None
    typer.echo(
        f"accepted the list of {received.issuer} issued at {display_instant(received.issued_at)}: "
        f"{len(received.keys)} keys, {len(received.revoked)} revoked"
    )


@gateway.command("list", help="Print the combined list of every issuer, signed by this gateway.")
def gateway_list_command(out: Out = None) -> None:
    with context.runtime().unit_of_work(context.actor("system", "trust_list_publication")) as uow:
        document = gateway_list(uow)
    emit(document, out)


def emit(document: object, out: Path | None) -> None:
    text = json.dumps(document, ensure_ascii=False)
    if out is None:
        typer.echo(text)
        return
    try:
        out.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise BadInputError(f"{out}: {error.strerror or 'cannot be written'}") from None


def read_json(path: Path) -> Any:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as error:
        raise BadInputError(f"{path}: {error.strerror or 'cannot be read'}") from None
    return _parsed(data, str(path))


def fetch_json(url: str) -> Any:
    if not url.startswith(("http://", "https://")):
        raise BadInputError(f"--from: {url!r} is not an http(s) URL")
    try:
        # The scheme is checked above: no file:// or other handlers are reached.
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310
            data = response.read(MAX_DOCUMENT_BYTES + 1)
    except (OSError, ValueError) as error:
        raise BadInputError(f"--from {url}: {getattr(error, 'reason', error)}") from None
    return _parsed(data, url)


def _parsed(data: bytes, where: str) -> Any:
    if len(data) > MAX_DOCUMENT_BYTES:
        raise BadInputError(f"{where}: larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadInputError(f"{where}: not UTF-8 JSON") from None

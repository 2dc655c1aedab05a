"""`healthcode code issue` and `healthcode verify` (A8, M3, M5, S1, S2, S4)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from healthcode.cli import context
from healthcode.cli.choices import member, person_key
from healthcode.cli.errors import BadInputError
from healthcode.cli.trust import read_json
from healthcode.domain.areas import RiskLevel
from healthcode.domain.identity import IdType
from healthcode.domain.timezones import display_instant
from healthcode.domain.venues import Purpose, Venue
from healthcode.services.codes.issuing import CodeIssueError, IssuedCode, issue_code
from healthcode.services.codes.trust import DatabaseTrust, ListTrust, TrustSource
from healthcode.services.codes.verification import Verification, verify_code
from healthcode.tokens import qr_png, qr_svg
from healthcode.tokens.trust_lists import TrustListError

code = typer.Typer(help="Signed health codes (SPEC §3).")
AsJson = Annotated[bool, typer.Option("--json", help="JSON, even on a terminal.")]


@code.command("issue", help="Issue a signed code from the person's stored colour.")
def code_issue(
    id_type: Annotated[IdType, typer.Option("--id-type", help="resident_id, passport, …")],
    id_number: Annotated[str, typer.Option("--id-number", help="The document number.")],
    paper: Annotated[
        bool, typer.Option("--paper", help="A printable paper code, valid longer (S4).")
    ] = False,
    svg: Annotated[Path | None, typer.Option("--svg", help="Write the QR image as SVG.")] = None,
    png: Annotated[Path | None, typer.Option("--png", help="Write the QR image as PNG.")] = None,
    as_json: AsJson = False,
) -> None:
    key = person_key(id_type, id_number)
    refusal: CodeIssueError | None = None
    with context.runtime().unit_of_work(context.actor("operator", "code_issue")) as uow:
        try:
            issued = issue_code(uow, key, paper=paper)
        except CodeIssueError as error:
            refusal = error  # committed with the unit of work: the refusal stays audited
    if refusal is not None:
        raise BadInputError(str(refusal))
    _write(svg, lambda: qr_svg(issued.text).encode("utf-8"))
    _write(png, lambda: qr_png(issued.text))
    if as_json:
        typer.echo(json.dumps(_issued_json(issued), ensure_ascii=False))
        return
    typer.echo(issued.text)
    typer.echo(
        f"{issued.colour} {issued.version} {issued.medium} code for {issued.masked_name}, "
        f"valid until {display_instant(issued.expires_at)}",
        err=True,
    )


def verify(
    text: Annotated[str, typer.Argument(help="The QR text, HZ1:…")],
    venue: Annotated[str, typer.Option("--venue", help="Venue category (SPEC §2).")],
    area_risk: Annotated[str, typer.Option("--area-risk", help="low, medium or high.")],
    trust_list: Annotated[
        list[Path] | None,
        typer.Option("--trust-list", help="Verify offline with this list (repeatable)."),
    ] = None,
    trust_root: Annotated[
        list[Path] | None,
        typer.Option("--trust-root", help="A root JWK the lists must verify under (repeatable)."),
    ] = None,
    purpose: Annotated[str | None, typer.Option("--purpose", help="own_treatment")] = None,
    as_json: AsJson = False,
) -> None:
    checked_venue = member(Venue, venue, "--venue")
    risk = member(RiskLevel, area_risk, "--area-risk")
    declared = None if purpose is None else member(Purpose, purpose, "--purpose")

    def decide(trust: TrustSource, now: datetime) -> Verification:
        return verify_code(
            text, trust=trust, venue=checked_venue, area_risk=risk, now=now, purpose=declared
        )

    if trust_list or trust_root:
        settings = context.settings()
        trust = _lists(trust_list or [], trust_root or [], settings.issuer)
        _print(decide(trust, context.clock_now(settings)), as_json)
        return
    with context.runtime().unit_of_work(context.actor("checkpoint", "code_verification")) as uow:
        verified = decide(DatabaseTrust(uow), uow.now)
    _print(verified, as_json)


def _lists(lists: list[Path], roots: list[Path], home_issuer: str) -> ListTrust:
    if not lists or not roots:
        raise BadInputError(
            "offline verification needs both --trust-list and --trust-root "
            "(the root key the lists must verify under)"
        )
    documents = [read_json(path) for path in lists]
    root_keys = [read_json(path) for path in roots]
    if not all(isinstance(root, dict) for root in root_keys):
        raise BadInputError("--trust-root: a root key is a JWK, a JSON object")
    try:
        return ListTrust.from_documents(documents, root_keys, home_issuer)
    except TrustListError as error:
        raise BadInputError(f"--trust-list: {error}") from None


def _print(verified: Verification, as_json: bool) -> None:
    shown = verified.as_json()
    if as_json or not sys.stdout.isatty():
        typer.echo(json.dumps(shown, ensure_ascii=False))
        return
    reason = verified.decision.reason
    what = " ".join(
        str(shown[name])
        for name in ("issuer", "color", "masked_name", "rejection")
        if shown[name] is not None
    )
    typer.echo(f"{shown['decision']}: {reason.zh} / {reason.en} [{what}]")


def _issued_json(issued: IssuedCode) -> dict[str, object]:
    return {
        "text": issued.text,
        "color": issued.colour.value,
        "masked_name": issued.masked_name,
        "expires_at": display_instant(issued.expires_at),
        "version": issued.version.value,
        "medium": issued.medium.value,
        "kid": issued.kid,
    }


def _write(path: Path | None, content: Callable[[], bytes]) -> None:
    if path is None:
        return
    try:
        path.write_bytes(content())
    except OSError as error:
        raise BadInputError(f"{path}: {error.strerror or 'cannot be written'}") from None

"""`healthcode foreign verify`: an inbound traveller's foreign certificate, verified offline.

The trust is only the files given with `--trust` (no database, no network), so a border desk can
run it on a laptop with the files it was handed. Exit status: 0 valid, 1 not valid, 2 unusable
input (no trust file, a bad one, an unknown format, a bad `--at`). The holder's name is masked in
every output, as on every screen (D2).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from healthcode.cli import context
from healthcode.cli.choices import parse_instant, show
from healthcode.cli.errors import BadInputError
from healthcode.foreign.labels import (
    CHECK_NAMES,
    CHECK_OUTCOMES,
    FACT_KINDS,
    FORMAT_NAMES,
    VERDICTS,
)
from healthcode.foreign.trust import TrustFileError, load_trust
from healthcode.foreign.verdicts import CHECKS, ForeignVerdict, shown_json
from healthcode.foreign.verify import UnknownFormat, verify_foreign

foreign = typer.Typer(help="Foreign health certificates of inbound travellers (A8, S1, S5).")

EXIT_NOT_VALID = 1


@foreign.command("verify", help="Verify a foreign certificate offline against trust files.")
def foreign_verify(
    text: Annotated[
        str,
        typer.Argument(
            help="The scanned QR text (HC1:…, shc:/…, NZCP:/…), or - for standard input."
        ),
    ],
    trust: Annotated[
        list[Path] | None,
        typer.Option(
            "--trust",
            help="A trust file, repeatable: PEM or DER X.509 certificate, EU trust list, "
            "JWKS, DID document or SMART Health Cards revocation list.",
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Verify as at this instant (ISO 8601 with offset); now if none."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON, even on a terminal.")] = False,
) -> None:
    if not trust:
        raise BadInputError("--trust: give at least one trust file")
    scanned = (sys.stdin.read() if text == "-" else text).strip()
    if not scanned:
        raise BadInputError("TEXT: empty (nothing was scanned)")
    instant = parse_instant(at, "--at") if at else context.clock_now(context.settings())
    try:
        material = load_trust(trust)
    except TrustFileError as error:
        raise BadInputError(f"--trust: {error}") from None
    try:
        verdict = verify_foreign(scanned, material, instant)
    except UnknownFormat as error:
        raise BadInputError(f"TEXT: {error.en}") from None
    show(shown_json(verdict), human(verdict), as_json)
    if not verdict.valid:
        raise typer.Exit(EXIT_NOT_VALID)


def human(verdict: ForeignVerdict) -> str:
    """The verdict for a person at a terminal: every line Chinese, then English."""
    shown = shown_json(verdict)
    name = FORMAT_NAMES[verdict.format]
    outcome = VERDICTS[verdict.valid]
    lines = [f"{name.zh} / {name.en}: {outcome.zh} / {outcome.en}"]
    for check in CHECKS:
        label, result = CHECK_NAMES[check], CHECK_OUTCOMES[verdict.checks[check]]
        lines.append(f"  {label.zh} / {label.en}: {result.zh} / {result.en}")
    lines.extend(f"  原因 / reason: {reason.zh} / {reason.en}" for reason in verdict.reasons)
    facts = shown["facts"]
    assert isinstance(facts, list)  # noqa: S101 - shown_json's own shape
    for fact in facts:
        kind = FACT_KINDS[fact["kind"]]
        details = " ".join(f"{key}={value}" for key, value in fact["details"].items())
        lines.append(
            f"  证明 / fact: {kind.zh} / {kind.en} {fact['country']} {fact['occurred_at']} "
            f"{fact['holder_name']} ({fact['holder_birth_date']}) {details}"
        )
    return "\n".join(lines)

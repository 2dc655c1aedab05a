"""`healthcode institutions add|list|certify`: communities and medical institutions (S4)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from healthcode.cli import context
from healthcode.cli.choices import member, person_key, show
from healthcode.cli.errors import BadInputError
from healthcode.domain.certificates import STATEMENT_TEXTS, InstitutionKind, Statement
from healthcode.domain.identity import IdType
from healthcode.domain.timezones import display_instant
from healthcode.services.checkpoint.institutions import (
    issue_certificate,
    list_institutions,
    register_institution,
)
from healthcode.services.checkpoint.venues import RegistrationError
from healthcode.tokens import qr_svg

institutions = typer.Typer(help="Institutions that issue signed paper certificates (S4).")

JsonOption = Annotated[bool, typer.Option("--json", help="JSON, even on a terminal.")]


@institutions.command("add", help="Register a community or medical institution.")
def institutions_add(
    institution_id: Annotated[str, typer.Option("--id", help="The institution's id.")],
    name: Annotated[str, typer.Option("--name", help="Its name, as certificates show it.")],
    kind: Annotated[str, typer.Option("--kind", help="community or medical.")],
    region: Annotated[str, typer.Option("--region", help="GB/T 2260 code, 6, 9 or 12 digits.")],
    as_json: JsonOption = False,
) -> None:
    actor = context.actor("system_admin", "institution_registration")
    with context.runtime().unit_of_work(actor) as uow:
        try:
            stored = register_institution(
                uow, institution_id, name, member(InstitutionKind, kind, "--kind"), region
            )
        except RegistrationError as error:
            raise BadInputError(str(error)) from None
    shown = asdict(stored) | {"registered_at": display_instant(stored.registered_at)}
    show(shown, f"institution {stored.id} registered ({stored.kind})", as_json)


@institutions.command("list", help="Registered institutions.")
def institutions_list(as_json: JsonOption = False) -> None:
    with context.runtime().unit_of_work(context.actor("system_admin", "institution_list")) as uow:
        listed = list_institutions(uow)
    rows = [
        {"id": item.id, "name": item.name, "kind": item.kind, "region": item.region}
        for item in listed
    ]
    show(
        rows,
        "\n".join(f"{r['id']}  {r['kind']}  {r['region']}  {r['name']}" for r in rows),
        as_json,
    )


@institutions.command("certify", help="Issue a signed paper certificate; prints its QR text.")
def institutions_certify(
    institution_id: Annotated[str, typer.Option("--institution", help="The issuing institution.")],
    id_type: Annotated[IdType, typer.Option("--id-type", help="The person's document type.")],
    id_number: Annotated[str, typer.Option("--id-number", help="Their document number.")],
    statement: Annotated[
        str, typer.Option("--statement", help="low_risk_resident (community) or no_abnormality.")
    ],
    svg: Annotated[
        Path | None, typer.Option("--svg", help="Also write the QR code as SVG.", dir_okay=False)
    ] = None,
    as_json: JsonOption = False,
) -> None:
    key = person_key(id_type, id_number)
    with context.runtime().unit_of_work(context.actor("institution", "certificate_issue")) as uow:
        try:
            issued = issue_certificate(
                uow, institution_id, key, member(Statement, statement, "--statement")
            )
        except RegistrationError as error:
            raise BadInputError(str(error)) from None
    if svg is not None:
        svg.write_text(qr_svg(issued.text), encoding="utf-8")
    shown = {
        "text": issued.text,
        "institution": issued.institution.name,
        "statement": STATEMENT_TEXTS[issued.statement].as_dict(),
        "masked_name": issued.masked_name,
        "expires_at": display_instant(issued.expires_at),
    }
    # The QR text alone unless asked for JSON, so that it can be piped on as it is.
    typer.echo(json.dumps(shown, ensure_ascii=False) if as_json else issued.text)

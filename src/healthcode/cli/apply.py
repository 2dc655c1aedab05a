"""`healthcode apply`: apply for a code, for oneself or on someone's behalf (A1, A8, S3).

The applicant is `--id-*`; `--for-*` names the person applied for when it is someone else, and
then `--relationship` says what the applicant is to them (the proxy is accountable, D2).
"""

from __future__ import annotations

from typing import Annotated

import typer

from healthcode.cli import context
from healthcode.cli.choices import member, person_key, show
from healthcode.cli.errors import BadInputError
from healthcode.domain.applications import Channel, Relationship
from healthcode.domain.facts import Person
from healthcode.domain.identity import IdType, normalise_phone
from healthcode.services.households.applications import (
    Application,
    ApplicationError,
    apply_for_code,
)
from healthcode.tokens import CodeVersion


def apply(
    id_type: Annotated[IdType, typer.Option("--id-type", help="The applicant's document type.")],
    id_number: Annotated[str, typer.Option("--id-number", help="The applicant's number.")],
    channel: Annotated[
        str, typer.Option("--channel", help="web, alipay, wechat, zhelibang or hotline.")
    ],
    name: Annotated[str | None, typer.Option("--name", help="The applicant's name.")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="The applicant's phone.")] = None,
    for_id_type: Annotated[
        IdType | None, typer.Option("--for-id-type", help="Applying for someone else: type.")
    ] = None,
    for_id_number: Annotated[
        str | None, typer.Option("--for-id-number", help="Their document number.")
    ] = None,
    for_name: Annotated[str | None, typer.Option("--for-name", help="Their name.")] = None,
    relationship: Annotated[
        str | None,
        typer.Option("--relationship", help="What the applicant is to them: child, spouse, …"),
    ] = None,
    international: Annotated[
        bool, typer.Option("--international", help="Ask for the international version (A8).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON, even on a terminal.")] = False,
) -> int:
    # In its one form; a number that is none goes on as typed, for the use case to refuse.
    phone = (normalise_phone(phone) or phone) if phone else None
    applicant = Person(*person_key(id_type, id_number), name=name, phone=phone)
    if (for_id_type is None) != (for_id_number is None):
        raise BadInputError("--for-id-type and --for-id-number go together")
    person, proxy = applicant, None
    if for_id_type is not None and for_id_number is not None:
        key = person_key(for_id_type, for_id_number, "--for-id-number")
        person, proxy = Person(*key, name=for_name), applicant
    runtime = context.runtime()
    with runtime.unit_of_work(context.actor("channel", "code_application")) as uow:
        try:
            taken = apply_for_code(
                uow,
                person,
                channel=member(Channel, channel, "--channel"),
                applicant=proxy,
                relationship=None
                if relationship is None
                else member(Relationship, relationship, "--relationship"),
                version=CodeVersion.INTERNATIONAL if international else None,
            )
        except ApplicationError as error:
            raise BadInputError(str(error)) from None
    show(taken.as_json(), _line(taken), as_json)
    return 0


def _line(taken: Application) -> str:
    person = taken.as_json()["person"] or {}
    by = "" if taken.applicant is None else f"; applied by {taken.applicant.name_masked or '-'}"
    relation = "" if taken.relationship is None else f" ({taken.relationship.value})"
    return (
        f"application {taken.id}: {person.get('name') or '-'} {person.get('id_number')} "
        f"{taken.version.value} code, {taken.colour}{by}{relation} via {taken.channel.value}"
    )

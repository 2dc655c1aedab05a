"""`healthcode venues add|list|set-risk` and `healthcode devices add|list|clear` (S2, D2)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated

import typer

from healthcode.cli import context
from healthcode.cli.choices import member, show
from healthcode.cli.errors import BadInputError
from healthcode.domain.areas import RiskLevel
from healthcode.domain.venues import Venue
from healthcode.services.checkpoint.venues import (
    RegistrationError,
    clear_device_flag,
    list_devices,
    list_venues,
    register_device,
    register_venue,
    set_area_risk,
)

venues = typer.Typer(help="Venues: category, GB/T 2260 region and area risk (M3, M5, S2).")
devices = typer.Typer(help="Scanner devices with their own keys; throttled when harvesting (D2).")

JsonOption = Annotated[bool, typer.Option("--json", help="JSON, even on a terminal.")]


@venues.command("add", help="Register a venue.")
def venues_add(
    venue_id: Annotated[str, typer.Option("--id", help="The venue's id.")],
    name: Annotated[str, typer.Option("--name", help="Its name.")],
    category: Annotated[str, typer.Option("--category", help="Venue category (SPEC §2).")],
    region: Annotated[str, typer.Option("--region", help="GB/T 2260 code, 6, 9 or 12 digits.")],
    area_risk: Annotated[str, typer.Option("--area-risk", help="low, medium or high.")],
    as_json: JsonOption = False,
) -> None:
    with context.runtime().unit_of_work(context.actor("system_admin", "venue_registration")) as uow:
        try:
            venue = register_venue(
                uow,
                venue_id,
                name,
                member(Venue, category, "--category"),
                region,
                member(RiskLevel, area_risk, "--area-risk"),
            )
        except RegistrationError as error:
            raise BadInputError(str(error)) from None
    show(venue.as_json(), f"venue {venue.id} registered ({venue.category})", as_json)


@venues.command("set-risk", help="Change the registered risk level of a venue's area.")
def venues_set_risk(
    venue_id: Annotated[str, typer.Argument(help="The venue's id.")],
    area_risk: Annotated[str, typer.Option("--area-risk", help="low, medium or high.")],
    as_json: JsonOption = False,
) -> None:
    with context.runtime().unit_of_work(context.actor("system_admin", "venue_area_risk")) as uow:
        try:
            venue = set_area_risk(uow, venue_id, member(RiskLevel, area_risk, "--area-risk"))
        except RegistrationError as error:
            raise BadInputError(str(error)) from None
    show(venue.as_json(), f"venue {venue.id}: area risk now {venue.area_risk}", as_json)


@venues.command("list", help="Registered venues with the risk level that counts now.")
def venues_list(as_json: JsonOption = False) -> None:
    with context.runtime().unit_of_work(context.actor("system_admin", "venue_list")) as uow:
        listed = [venue.as_json() for venue in list_venues(uow)]
    _listing(listed, ("id", "category", "region", "area_risk", "name"), as_json)


@devices.command("add", help="Register a scanner with the public JWK of its own ES256 key.")
def devices_add(
    device_id: Annotated[str, typer.Option("--id", help="The device's id.")],
    venue_id: Annotated[str, typer.Option("--venue-id", help="Where it scans.")],
    public_key: Annotated[
        Path, typer.Option("--public-key", help="A JSON file with its public JWK.", dir_okay=False)
    ],
    as_json: JsonOption = False,
) -> None:
    try:
        jwk = json.loads(public_key.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BadInputError(
            f"--public-key: cannot read a JSON JWK ({type(error).__name__})"
        ) from None
    with context.runtime().unit_of_work(
        context.actor("security_admin", "device_registration")
    ) as uow:
        try:
            device = register_device(uow, device_id, venue_id, jwk)
        except RegistrationError as error:
            raise BadInputError(str(error)) from None
    show(device.as_json(), f"device {device.id} registered at {device.venue_id}", as_json)


@devices.command("list", help="Registered scanners, flagged ones with why.")
def devices_list(as_json: JsonOption = False) -> None:
    with context.runtime().unit_of_work(context.actor("security_admin", "device_list")) as uow:
        listed = [device.as_json() for device in list_devices(uow)]
    _listing(listed, ("id", "venue_id", "kid", "flagged_at", "flag_reason"), as_json)


@devices.command("clear", help="After review, let a flagged scanner scan again.")
def devices_clear(
    device_id: Annotated[str, typer.Argument(help="The device's id.")],
    as_json: JsonOption = False,
) -> None:
    with context.runtime().unit_of_work(context.actor("security_admin", "device_review")) as uow:
        try:
            device = clear_device_flag(uow, device_id)
        except RegistrationError as error:
            raise BadInputError(str(error)) from None
    show(device.as_json(), f"device {device.id} may scan again", as_json)


def _listing(rows: Sequence[Mapping[str, object]], columns: tuple[str, ...], as_json: bool) -> None:
    lines = "\n".join("  ".join(str(row[name] or "-") for name in columns) for row in rows)
    show(rows, lines, as_json)

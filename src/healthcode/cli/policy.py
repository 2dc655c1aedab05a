"""`healthcode policy check`: may this colour enter this kind of place? (M3, M5, S2)"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from healthcode.cli.choices import member
from healthcode.domain.areas import RiskLevel
from healthcode.domain.rules import Colour
from healthcode.domain.venues import Purpose, Venue
from healthcode.rulesets import default_venue_policy

policy = typer.Typer(help="Venue policy (M3, M5, S2).")


@policy.command(help="Decide allow, deny or not_checked for a colour at a venue category.")
def check(
    color: Annotated[str, typer.Option("--color", help="green, yellow or red.")],
    venue: Annotated[str, typer.Option("--venue", help="Venue category (SPEC §2).")],
    area_risk: Annotated[
        str, typer.Option("--area-risk", help="Risk level of the venue's area.")
    ] = RiskLevel.MEDIUM.value,
    flags: Annotated[
        str, typer.Option("--flags", help="Comma-separated, e.g. health_monitoring.")
    ] = "",
    purpose: Annotated[str | None, typer.Option("--purpose", help="own_treatment")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON, even on a terminal.")] = False,
) -> int:
    decision = default_venue_policy().check(
        colour=member(Colour, color, "--color"),
        venue=member(Venue, venue, "--venue"),
        area_risk=member(RiskLevel, area_risk, "--area-risk"),
        flags=frozenset(flag.strip() for flag in flags.split(",") if flag.strip()),
        purpose=None if purpose is None else member(Purpose, purpose, "--purpose"),
    )
    shown = decision.as_json()
    if as_json or not sys.stdout.isatty():
        typer.echo(json.dumps(shown, ensure_ascii=False))
    else:
        typer.echo(f"{shown['decision']}: {decision.reason.zh} / {decision.reason.en}")
    return 0

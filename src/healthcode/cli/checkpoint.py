"""`healthcode checkpoint test|register|certificate|itinerary`: staff flows without a phone (S4).

Each prints the decision of SPEC §2 with the method and what staff may see (masked name, never the
number). The look-up is audited with the staff member and the declared `--purpose` (D2). The venue
is a registered one (`--venue-id`, its area risk as it is now) or a category with `--area-risk`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from healthcode.cli import context
from healthcode.cli.choices import member, person_key, show
from healthcode.cli.errors import BadInputError
from healthcode.domain.areas import RiskLevel
from healthcode.domain.checkpoints import CheckpointDecision
from healthcode.domain.identity import IdType
from healthcode.domain.venues import Purpose, Venue
from healthcode.services.checkpoint.alternatives import (
    CheckpointError,
    check_by_registration,
    check_by_test,
    check_certificate,
    check_itinerary_card,
)
from healthcode.services.checkpoint.venues import RegistrationError, find_venue
from healthcode.services.runtime import UnitOfWork

checkpoint = typer.Typer(help="Checkpoint flows for people without a phone (S4); audited (D2).")

IdTypeOption = Annotated[IdType, typer.Option("--id-type", help="The document shown.")]
IdNumberOption = Annotated[str, typer.Option("--id-number", help="Its number.")]
NameOption = Annotated[
    str,
    typer.Option(
        "--name", help="The name on the document (a wrong one reads as an unknown number)."
    ),
]
PurposeOption = Annotated[
    str,
    typer.Option("--purpose", help="Why you look (written to the audit log), e.g. entry_check."),
]
VenueOption = Annotated[str | None, typer.Option("--venue", help="Venue category (SPEC §2).")]
VenueIdOption = Annotated[str | None, typer.Option("--venue-id", help="A registered venue.")]
AreaRiskOption = Annotated[
    str, typer.Option("--area-risk", help="Risk level of the venue's area (with --venue).")
]
TreatmentOption = Annotated[
    bool, typer.Option("--own-treatment", help="Visiting a medical institution for own treatment.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON, even on a terminal.")]

Check = Callable[[UnitOfWork, Venue, RiskLevel, Purpose | None], CheckpointDecision]


@checkpoint.command("test", help="A negative nucleic-acid test of the last 7 days, by document.")
def checkpoint_test(
    id_type: IdTypeOption,
    id_number: IdNumberOption,
    name: NameOption,
    purpose: PurposeOption,
    venue: VenueOption = None,
    venue_id: VenueIdOption = None,
    area_risk: AreaRiskOption = RiskLevel.MEDIUM.value,
    own_treatment: TreatmentOption = False,
    as_json: JsonOption = False,
) -> None:
    key = person_key(id_type, id_number)
    _run(
        lambda uow, v, r, p: check_by_test(uow, key, v, r, name=name, purpose=p),
        purpose, venue, venue_id, area_risk, own_treatment, as_json,
    )  # fmt: skip


@checkpoint.command("register", help="Registration with a valid identity document (代查).")
def checkpoint_register(
    id_type: IdTypeOption,
    id_number: IdNumberOption,
    name: NameOption,
    purpose: PurposeOption,
    venue: VenueOption = None,
    venue_id: VenueIdOption = None,
    area_risk: AreaRiskOption = RiskLevel.MEDIUM.value,
    own_treatment: TreatmentOption = False,
    as_json: JsonOption = False,
) -> None:
    key = person_key(id_type, id_number)
    _run(
        lambda uow, v, r, p: check_by_registration(uow, key, v, r, name=name, purpose=p),
        purpose, venue, venue_id, area_risk, own_treatment, as_json,
    )  # fmt: skip


@checkpoint.command("certificate", help="A community's or medical institution's paper certificate.")
def checkpoint_certificate(
    text: Annotated[str, typer.Argument(help="The certificate's QR text (HZC1:…).")],
    purpose: PurposeOption,
    venue: VenueOption = None,
    venue_id: VenueIdOption = None,
    area_risk: AreaRiskOption = RiskLevel.MEDIUM.value,
    own_treatment: TreatmentOption = False,
    as_json: JsonOption = False,
) -> None:
    _run(
        lambda uow, v, r, p: check_certificate(uow, text, v, r, purpose=p),
        purpose, venue, venue_id, area_risk, own_treatment, as_json,
    )  # fmt: skip


@checkpoint.command("itinerary", help="Registration with the telecom itinerary card as support.")
def checkpoint_itinerary(
    id_type: IdTypeOption,
    id_number: IdNumberOption,
    name: NameOption,
    shows_risk_area: Annotated[
        bool,
        typer.Option(
            "--shows-risk-area/--clear",
            help="What the card shows: a medium/high-risk area stay (marked), or none.",
        ),
    ],
    purpose: PurposeOption,
    venue: VenueOption = None,
    venue_id: VenueIdOption = None,
    area_risk: AreaRiskOption = RiskLevel.MEDIUM.value,
    own_treatment: TreatmentOption = False,
    as_json: JsonOption = False,
) -> None:
    key = person_key(id_type, id_number)
    _run(
        lambda uow, v, r, p: check_itinerary_card(
            uow, key, shows_risk_area, v, r, name=name, purpose=p
        ),
        purpose, venue, venue_id, area_risk, own_treatment, as_json,
    )  # fmt: skip


def _run(
    check: Check,
    purpose: str,
    venue: str | None,
    venue_id: str | None,
    area_risk: str,
    own_treatment: bool,
    as_json: bool,
) -> None:
    if (venue is None) == (venue_id is None):
        raise BadInputError("give either --venue CATEGORY (with --area-risk) or --venue-id")
    visit = Purpose.OWN_TREATMENT if own_treatment else None
    with context.runtime().unit_of_work(context.actor("checkpoint", purpose)) as uow:
        try:
            if venue_id is not None:
                registered = find_venue(uow, venue_id)
                category, risk = registered.category, registered.area_risk
            else:
                category = member(Venue, venue or "", "--venue")
                risk = member(RiskLevel, area_risk, "--area-risk")
            decision = check(uow, category, risk, visit)
        except (CheckpointError, RegistrationError) as error:
            raise BadInputError(str(error)) from None
    line = f"{decision.verdict.value}: {decision.reason.zh} / {decision.reason.en}"
    show(decision.as_json(), line, as_json)

"""What the appeals pages show of an appeal (S6): plain dictionaries the templates read.

Only masked person data leaves here, except the appeal's own words (the handler must read them).
The callback number stays masked too: the answer is sent by the system, not dialled by hand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from healthcode.db.appeal_events_store import Override
from healthcode.db.appeals_store import StoredAppeal
from healthcode.db.people import StoredPerson
from healthcode.domain.appeals import AppealChannel, AppealEventKind, AppealStatus, Tier
from healthcode.domain.labels import FACT_TYPE_NAMES, SOURCE_NAMES
from healthcode.domain.roles import Role
from healthcode.domain.text import Bilingual
from healthcode.domain.timezones import display_instant
from healthcode.services.appeals.answers import ANSWERERS
from healthcode.services.appeals.handling import APPROVERS
from healthcode.services.appeals.reading import AppealView, QueueItem
from healthcode.services.dashboard import region_name
from healthcode.services.principals import Principal
from healthcode.web.pages.console_appeals_names import CHANNEL_NAMES, TIER_NAMES
from healthcode.web.pages.console_charts import COLOUR_NAMES


@dataclass(frozen=True, slots=True)
class Actions:
    """Which forms the appeal page offers this caller: exactly those the API would accept."""

    handle: bool  # add or retract a fact, reject, request an override
    approve: bool  # approve the pending override (a different person)
    answer: bool  # write the one answer
    own_request: bool  # the caller asked for the pending override, so someone else approves


def actions_for(principal: Principal, view: AppealView) -> Actions:
    still_open = view.appeal.status is AppealStatus.OPEN and view.answer is None
    pending = pending_override(view.overrides)
    mine = pending is not None and pending.requested_by == principal.label
    return Actions(
        handle=still_open and Role.LOCAL_HANDLER in principal.roles,
        approve=still_open
        and pending is not None
        and not mine
        and bool(principal.roles & APPROVERS),
        answer=view.answer is None and bool(principal.roles & ANSWERERS),
        own_request=still_open and mine,
    )


def pending_override(overrides: tuple[Override, ...]) -> Override | None:
    return next((o for o in reversed(overrides) if o.approved_by is None), None)


def when(value: datetime | None) -> str:
    """An instant as Zhejiang reads it: `2021-03-20 12:00`."""
    shown = display_instant(value)
    return "" if shown is None else shown[:16].replace("T", " ")


def person_row(person: StoredPerson) -> dict[str, Any]:
    return {
        "id_type": person.id_type,
        "id_number": person.id_number_masked,
        "name": person.name_masked or "*",
    }


def summary(appeal: StoredAppeal) -> dict[str, Any]:
    """The columns every list of appeals shows."""
    return {
        "id": appeal.id,
        "primary_id": appeal.primary_id,
        "category": appeal.category,
        "channel": appeal.channel,
        "status": appeal.status,
        "tier": appeal.route.tier,
        "region": appeal.route.region,
        "region_name": region_name(appeal.route.region),
        "opened_at": when(appeal.opened_at),
        "due_at": when(appeal.due_at),
        "answered_at": when(appeal.answered_at),
        "language": appeal.language,
    }


def queue_row(item: QueueItem) -> dict[str, Any]:
    return {**summary(item.appeal), "person": person_row(item.person), "overdue": item.overdue}


def detail(view: AppealView, colour_now: str | None) -> dict[str, Any]:
    """Everything the appeal page shows: the record the handler and the operator both read."""
    appeal = view.appeal
    return {
        **summary(appeal),
        "merged_into": appeal.merged_into,
        "person": person_row(view.person),
        "text": view.text or "",
        "callback_masked": appeal.callback_phone_masked,
        "snapshot": _snapshot(view.snapshot),
        "colour_now": colour_now,
        "answer": view.answer,
        "timeline": [
            {
                "at": when(e.at),
                "kind": e.kind,
                "actor": e.actor,
                "detail": event_detail(e.kind, e.detail or ""),
            }
            for e in view.events
        ],
        "overrides": [_override(o) for o in view.overrides],
        "merged": [summary(filing) for filing in view.merged],
        "overdue": view.overdue,
    }


_CORRECTION = re.compile(r"(?P<event>.+): (?P<before>\w+|-) → (?P<after>\w+|-)")
_ROUTE = re.compile(r"(?P<tier>county|city|province) (?P<region>[0-9]+)")


def event_detail(kind: str, detail: str) -> Bilingual:
    """A timeline entry's note, with names for what it stores as codes (services/appeals write
    `appeal-1-fact-1: yellow → green`, `county 330106 → city 3301`, `channel=hotline`)."""
    if kind in {AppealEventKind.FACT_ADDED, AppealEventKind.FACT_RETRACTED}:
        found = _CORRECTION.fullmatch(detail)
        if found:
            before, after = _colour(found["before"]), _colour(found["after"])
            return Bilingual(
                f"{found['event']}：{before.zh} → {after.zh}",
                f"{found['event']}: {before.en} → {after.en}",
            )
    if kind in {AppealEventKind.ROUTED, AppealEventKind.ESCALATED}:
        places = [_ROUTE.fullmatch(part) for part in detail.split(" → ")]
        if places and all(places):
            named = [_route(found) for found in places if found]
            return Bilingual(" → ".join(n.zh for n in named), " → ".join(n.en for n in named))
    if kind == AppealEventKind.FILED and detail.startswith("channel="):
        channel = detail.removeprefix("channel=")
        if channel in set(AppealChannel):
            name = CHANNEL_NAMES[AppealChannel(channel)]
            return Bilingual(f"渠道：{name.zh}", f"Channel: {name.en}")
    return Bilingual(detail, detail)


def _colour(stored: str) -> Bilingual:
    return COLOUR_NAMES.get(stored) or Bilingual("尚未赋码", "No code yet")


def _route(found: re.Match[str]) -> Bilingual:
    tier, place = TIER_NAMES[Tier(found["tier"])], region_name(found["region"])
    return Bilingual(f"{tier.zh} {place.zh}", f"{tier.en} {place.en}")


def _snapshot(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    if snapshot is None:
        return None
    facts = [
        {
            **fact,
            "occurred_at": _iso_shown(fact.get("occurred_at")),
            "source_name": _named(SOURCE_NAMES, fact.get("source")),
            "type_name": _named(FACT_TYPE_NAMES, fact.get("type")),
        }
        for fact in snapshot.get("facts") or ()
    ]
    return {**snapshot, "evaluated_at": _iso_shown(snapshot.get("evaluated_at")), "facts": facts}


def _named(names: Mapping[Any, Bilingual], stored: object) -> Bilingual:
    text = str(stored or "")
    return names.get(text) or Bilingual(text, text)


def _iso_shown(text: object) -> str:
    """The snapshot keeps ISO 8601 text in whatever offset it was stored with; show it in
    Zhejiang's time like every other instant on the page."""
    try:
        return when(datetime.fromisoformat(str(text)))
    except ValueError:
        return ""


def _override(override: Override) -> dict[str, Any]:
    return {
        "id": override.id,
        "colour": override.colour,
        "authority": override.authority,
        "expires_at": when(override.expires_at),
        "requested_by": override.requested_by,
        "requested_at": when(override.requested_at),
        "approved_by": override.approved_by,
        "approved_at": when(override.approved_at),
    }

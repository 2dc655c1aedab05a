"""Venue policy (M3, M5, S2): colour × venue category × area risk → allow, deny or not checked.

The policy is data (`policies/venues.yaml`); this module only reads and applies it. The decision
is about the code alone: a checkpoint still accepts the alternatives of S4 for a person without
a phone, and the code is never the only credential.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from healthcode.domain.areas import RiskLevel
from healthcode.domain.documents import (
    RulesetError,
    bilingual,
    members,
    optional_member,
    required_text,
)
from healthcode.domain.rules import Colour
from healthcode.domain.text import Bilingual


class Venue(StrEnum):
    """Venue categories of SPEC §2."""

    PUBLIC_TRANSPORT = "public_transport"
    GATHERING = "gathering"
    STATION = "station"
    LONG_DISTANCE_BUS_STATION = "long_distance_bus_station"
    AIRPORT = "airport"
    PORT = "port"
    FERRY_DOCK = "ferry_dock"
    BORDER_PORT = "border_port"
    WHOLESALE_MARKET = "wholesale_market"
    FARMERS_MARKET = "farmers_market"
    MALL = "mall"
    SUPERMARKET = "supermarket"
    LIBRARY = "library"
    MUSEUM = "museum"
    ART_GALLERY = "art_gallery"
    EXHIBITION_HALL = "exhibition_hall"
    GYMNASIUM = "gymnasium"
    CINEMA_THEATRE = "cinema_theatre"
    DANCE_HALL = "dance_hall"
    INTERNET_CAFE = "internet_cafe"
    BATHHOUSE = "bathhouse"
    SCHOOL = "school"
    ELDERLY_HOME = "elderly_home"
    WELFARE_HOME = "welfare_home"
    PRISON = "prison"
    MEDICAL_INSTITUTION = "medical_institution"
    TRAFFIC_CHECKPOINT = "traffic_checkpoint"
    RESIDENTIAL_COMMUNITY = "residential_community"
    PARK = "park"
    OTHER_PUBLIC_PLACE = "other_public_place"


class Verdict(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    NOT_CHECKED = "not_checked"


class Purpose(StrEnum):
    OWN_TREATMENT = "own_treatment"


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the policy: which colours (and flags) at which venues."""

    id: str
    clause: str
    colours: frozenset[Colour]
    venues: frozenset[Venue]
    reason: Bilingual
    flags: frozenset[str] = frozenset()
    unless_purpose: Purpose | None = None

    def matches(
        self, colour: Colour, venue: Venue, flags: frozenset[str], purpose: Purpose | None
    ) -> bool:
        return (
            colour in self.colours
            and venue in self.venues
            and self.flags <= flags
            and (self.unless_purpose is None or purpose is not self.unless_purpose)
        )


@dataclass(frozen=True, slots=True)
class VenueDecision:
    verdict: Verdict
    clauses: tuple[str, ...]
    reason: Bilingual
    entry: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "decision": self.verdict.value,
            "clauses": list(self.clauses),
            "reason": self.reason.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class VenuePolicy:
    id: str
    version: str
    low_risk_checked: Entry
    deny: tuple[Entry, ...]
    allow: tuple[Entry, ...]
    # Where codes are not checked, what a code scanned anyway still says (a red one: M1).
    scanned_anyway: Entry | None = None

    def checks_codes(self, venue: Venue, area_risk: RiskLevel) -> bool:
        """Whether codes are checked at this kind of place at this risk level (S2)."""
        return area_risk is not RiskLevel.LOW or venue in self.low_risk_checked.venues

    def not_checked(self) -> VenueDecision:
        return _decision(Verdict.NOT_CHECKED, self.low_risk_checked)

    def check(
        self,
        colour: Colour,
        venue: Venue,
        area_risk: RiskLevel,
        flags: frozenset[str] = frozenset(),
        purpose: Purpose | None = None,
    ) -> VenueDecision:
        if not self.checks_codes(venue, area_risk):
            anyway = self.scanned_anyway
            if anyway is not None and anyway.matches(colour, venue, flags, purpose):
                clauses = (self.low_risk_checked.clause, anyway.clause)
                return VenueDecision(Verdict.NOT_CHECKED, clauses, anyway.reason, anyway.id)
            return self.not_checked()
        for entry in self.deny:
            if entry.matches(colour, venue, flags, purpose):
                return _decision(Verdict.DENY, entry)
        for entry in self.allow:
            if entry.matches(colour, venue, flags, purpose):
                return _decision(Verdict.ALLOW, entry)
        # A policy file that forgets a colour must not let anyone through by accident.
        return VenueDecision(Verdict.DENY, (), _NO_ENTRY, None)


_NO_ENTRY = Bilingual(
    zh="通行政策未覆盖该情形，请人工核验", en="Not covered by the policy: check by hand"
)


def _decision(verdict: Verdict, entry: Entry) -> VenueDecision:
    return VenueDecision(verdict, (entry.clause,), entry.reason, entry.id)


def parse_venue_policy(document: Mapping[str, Any]) -> VenuePolicy:
    """Build the policy from its document; a problem raises RulesetError with its place."""
    low = document.get("checked_in_low_risk_areas")
    if not isinstance(low, Mapping):
        raise RulesetError("checked_in_low_risk_areas", "must be a mapping")
    anyway = low.get("red_scanned_anyway")
    return VenuePolicy(
        id=required_text(document, "id", "policy"),
        version=required_text(document, "version", "policy"),
        low_risk_checked=_entry({"id": "low-risk-not-checked", **low}, "checked_in_low_risk_areas"),
        deny=_entries(document.get("deny"), "deny"),
        allow=_entries(document.get("allow"), "allow"),
        scanned_anyway=None
        if anyway is None
        else _entry(
            {"id": "red-scanned-anyway", **anyway}, "checked_in_low_risk_areas.red_scanned_anyway"
        ),
    )


def _entries(items: object, where: str) -> tuple[Entry, ...]:
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise RulesetError(where, "must be a list")
    return tuple(_entry(item, f"{where}[{index}]") for index, item in enumerate(items))


def _entry(item: object, where: str) -> Entry:
    if not isinstance(item, Mapping):
        raise RulesetError(where, "must be a mapping")
    return Entry(
        id=required_text(item, "id", where),
        clause=required_text(item, "clause", where),
        colours=members(Colour, item.get("colors", list(Colour)), f"{where}.colors"),
        venues=members(Venue, item.get("venues", "all"), f"{where}.venues"),
        reason=bilingual(item.get("reason"), f"{where}.reason"),
        flags=frozenset(str(flag) for flag in item.get("flags", ())),
        unless_purpose=optional_member(
            Purpose, item.get("unless_purpose"), f"{where}.unless_purpose"
        ),
    )

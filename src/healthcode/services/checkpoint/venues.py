"""Venues and their scanner devices (D2, M3, M5, S2): registered, then decided at.

A venue is registered with its category, its GB/T 2260 region and the risk level of its area. The
level that counts is the higher of the registered one and any risk area (A6) in force over the
venue's region, so a venue whose area is rated medium or high starts checking codes at once (S2).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from healthcode.db.venues_store import Rating, StoredDevice, StoredVenue, VenueStore
from healthcode.domain.areas import RiskLevel
from healthcode.domain.regions import covers, region_problem
from healthcode.domain.rules import Colour
from healthcode.domain.timezones import display_instant
from healthcode.domain.venues import Purpose, Venue, VenueDecision
from healthcode.rulesets import default_venue_policy
from healthcode.services.runtime import MEMO_SECONDS, UnitOfWork
from healthcode.tokens.jwk import JwkError, public_jwk, public_key_from_jwk

_IDENTIFIER: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_MAX_NAME: Final = 128
_RISK_ORDER: Final = (RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH)
VENUE_MEMO: Final = "venue"


class RegistrationError(ValueError):
    """A venue, device or institution that cannot be registered; the one-line reason."""


@dataclass(frozen=True, slots=True)
class RegisteredVenue:
    id: str
    name: str
    category: Venue
    region: str
    registered_risk: RiskLevel
    area_risk: RiskLevel  # what counts now: the registered level or a higher A6 rating

    def as_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "name": self.name,
            "category": self.category.value,
            "region": self.region,
            "registered_risk": self.registered_risk.value,
            "area_risk": self.area_risk.value,
        }


def register_venue(
    uow: UnitOfWork, venue_id: str, name: str, category: Venue, region: str, area_risk: RiskLevel
) -> RegisteredVenue:
    check_identifier(venue_id, "venue id")
    check_name(name)
    problem = region_problem(region)
    if problem is not None:
        raise RegistrationError(f"region: {problem}")
    store = uow.venues
    if store.venue(venue_id) is not None:
        raise RegistrationError("this venue id is already registered")
    stored = StoredVenue(
        venue_id, name.strip(), category.value, region, area_risk.value, uow.actor.name, uow.now
    )
    store.add_venue(stored)
    uow.audit(
        "venue.register",
        f"venue:{venue_id}",
        detail=f"category={category.value} region={region} area_risk={area_risk.value}",
    )
    return _registered(uow, store, stored)


def set_area_risk(uow: UnitOfWork, venue_id: str, area_risk: RiskLevel) -> RegisteredVenue:
    """Change the registered risk level of a venue's area (A6 ratings still count on top)."""
    store = uow.venues
    stored = _stored_venue(store, venue_id)
    store.set_area_risk(venue_id, area_risk.value)
    forget_venues(uow, venue_id)
    uow.audit(
        "venue.area_risk",
        f"venue:{venue_id}",
        detail=f"from={stored.area_risk} to={area_risk.value}",
    )
    return _registered(uow, store, _stored_venue(store, venue_id))


def find_venue(uow: UnitOfWork, venue_id: str) -> RegisteredVenue:
    store = uow.venues
    return _registered(uow, store, _stored_venue(store, venue_id))


def cached_venue(uow: UnitOfWork, venue_id: str) -> RegisteredVenue:
    """`find_venue`, reused by this process for a few seconds (ADR 0023): every scan needs it.

    An entry is reused for `MEMO_SECONDS` of the process's time and of the clock's, so a clock
    moved on (tests, `HEALTHCODE_CLOCK`) reads the database again. Unknown ids are never kept:
    a caller sending made-up ids fills nothing. Edits forget the entries once they commit
    (`forget_venues`): they take effect at once in the editing process, within `MEMO_SECONDS`
    elsewhere, and so does a risk area that comes into force.
    """
    key = (VENUE_MEMO, venue_id)
    memo = uow.runtime.memo

    def read() -> tuple[RegisteredVenue, datetime]:
        return find_venue(uow, venue_id), uow.now

    venue, at = memo.get(key, read)
    if not at <= uow.now < at + timedelta(seconds=MEMO_SECONDS):
        memo.forget(key)
        venue, at = memo.get(key, read)
    return venue


def forget_venues(uow: UnitOfWork, venue_id: str | None = None) -> None:
    """Once `uow` commits, this process reads the venue (None: every venue) afresh."""
    memo = uow.runtime.memo
    if venue_id is None:
        uow.after_commit(lambda: memo.forget_kind(VENUE_MEMO))
    else:
        uow.after_commit(lambda: memo.forget((VENUE_MEMO, venue_id)))


def list_venues(uow: UnitOfWork) -> list[RegisteredVenue]:
    store = uow.venues
    ratings = store.ratings_in_force(uow.now)
    return [_registered(uow, store, stored, ratings) for stored in store.all_venues()]


def checks_codes(venue: RegisteredVenue) -> bool:
    """Whether codes are checked at the venue now, at its area's risk level (S2)."""
    return default_venue_policy().checks_codes(venue.category, venue.area_risk)


def default_venue(venues: list[RegisteredVenue]) -> RegisteredVenue | None:
    """The venue a checkpoint page starts at: the first that checks codes, else the first.

    A page that opened at a place where nothing is checked would answer "not checked" to every
    code, and the person at the gate would learn nothing from a scan (S2).
    """
    return next((venue for venue in venues if checks_codes(venue)), venues[0] if venues else None)


def venue_decision(
    uow: UnitOfWork,
    venue_id: str,
    colour: Colour,
    flags: frozenset[str] = frozenset(),
    purpose: Purpose | None = None,
) -> VenueDecision:
    """The venue policy (M3, M5, S2) at a registered venue, at its area's risk level now."""
    venue = find_venue(uow, venue_id)
    return default_venue_policy().check(colour, venue.category, venue.area_risk, flags, purpose)


@dataclass(frozen=True, slots=True)
class RegisteredDevice:
    id: str
    venue_id: str
    public_jwk: Mapping[str, Any]
    flagged_at: datetime | None
    flag_reason: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "venue_id": self.venue_id,
            "kid": self.public_jwk.get("kid"),
            "flagged_at": display_instant(self.flagged_at),
            "flag_reason": self.flag_reason,
        }


def register_device(
    uow: UnitOfWork, device_id: str, venue_id: str, jwk: Mapping[str, Any]
) -> RegisteredDevice:
    """Register a scanner with the public half of its own ES256 key (the private half stays)."""
    check_identifier(device_id, "device id")
    try:
        public_key = public_key_from_jwk(jwk)
    except JwkError as error:
        raise RegistrationError(f"device key: {error}") from None
    store = uow.venues
    _stored_venue(store, venue_id)
    if store.device(device_id) is not None:
        raise RegistrationError("this device id is already registered")
    stored = StoredDevice(device_id, venue_id, public_jwk(public_key), uow.now, None, None)
    store.add_device(stored)
    uow.audit("device.register", f"device:{device_id}", detail=f"venue={venue_id}")
    return _device(stored)


def list_devices(uow: UnitOfWork) -> list[RegisteredDevice]:
    return [_device(stored) for stored in uow.venues.all_devices()]


def clear_device_flag(uow: UnitOfWork, device_id: str) -> RegisteredDevice:
    """After review: a flagged device may scan again."""
    store = uow.venues
    stored = store.device(device_id)
    if stored is None:
        raise RegistrationError("no device with this id is registered")
    store.flag(device_id, None, None)
    uow.audit("device.clear", f"device:{device_id}", detail=f"was={stored.flag_reason or '-'}")
    return _device(store.device(device_id) or stored)


def check_identifier(value: str, what: str) -> None:
    if not _IDENTIFIER.fullmatch(value):
        raise RegistrationError(
            f"{what}: 1 to 64 letters, digits, '.', '_', ':' or '-', "
            "starting with a letter or digit"
        )


def check_name(name: str) -> None:
    if not name.strip() or len(name.strip()) > _MAX_NAME:
        raise RegistrationError(f"name: 1 to {_MAX_NAME} characters")


def _stored_venue(store: VenueStore, venue_id: str) -> StoredVenue:
    stored = store.venue(venue_id)
    if stored is None:
        raise RegistrationError("no venue with this id is registered")
    return stored


def _registered(
    uow: UnitOfWork, store: VenueStore, stored: StoredVenue, ratings: list[Rating] | None = None
) -> RegisteredVenue:
    in_force = store.ratings_in_force(uow.now) if ratings is None else ratings
    levels = [RiskLevel(stored.area_risk)] + [
        RiskLevel(rating.level) for rating in in_force if covers(rating.region, stored.region)
    ]
    return RegisteredVenue(
        stored.id,
        stored.name,
        Venue(stored.category),
        stored.region,
        RiskLevel(stored.area_risk),
        max(levels, key=_RISK_ORDER.index),
    )


def _device(stored: StoredDevice) -> RegisteredDevice:
    return RegisteredDevice(
        stored.id, stored.venue_id, stored.public_jwk, stored.flagged_at, stored.flag_reason
    )

"""Venues, scanners and scans (M3, M5, S2, D2) on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from builders import ManualClock, march, operator, risk_area
from healthcode.db.schema import audit_log, scanner_devices, scans
from healthcode.domain.areas import RiskLevel
from healthcode.domain.rules import Colour
from healthcode.domain.venues import Purpose, Venue
from healthcode.services.areas import record_risk_areas
from healthcode.services.checkpoint.scans import (
    ScanOutcome,
    ScanReplayError,
    purge_scans,
    record_scan,
)
from healthcode.services.checkpoint.venues import (
    RegisteredVenue,
    RegistrationError,
    clear_device_flag,
    find_venue,
    list_devices,
    list_venues,
    register_device,
    register_venue,
    set_area_risk,
    venue_decision,
)
from healthcode.services.runtime import Actor, Runtime
from healthcode.services.scheduled_round import run_round
from healthcode.tokens.cose import sign1
from healthcode.tokens.jwk import public_jwk
from healthcode.tokens.scan_reports import (
    ScanDecision,
    ScanRequest,
    ScanRequestError,
    sign_scan_request,
    token_digest,
)

ADMIN = Actor("admin", "system_admin", "venue_registration")
DEVICE_KEY = ec.generate_private_key(ec.SECP256R1())
SUBJECT = "c3ViamVjdC1wc2V1ZG9ueW0"


def venue(
    runtime: Runtime,
    venue_id: str,
    category: Venue,
    area_risk: RiskLevel = RiskLevel.MEDIUM,
    region: str = "330106",
) -> RegisteredVenue:
    with runtime.unit_of_work(ADMIN) as uow:
        return register_venue(uow, venue_id, f"{venue_id} 场所", category, region, area_risk)


def decide(
    runtime: Runtime,
    venue_id: str,
    colour: Colour,
    flags: frozenset[str] = frozenset(),
    purpose: Purpose | None = None,
) -> tuple[str, tuple[str, ...]]:
    with runtime.unit_of_work(operator("checkpoint", "entry_check")) as uow:
        decision = venue_decision(uow, venue_id, colour, flags, purpose)
    return decision.verdict.value, decision.clauses


def scanner(runtime: Runtime, device_id: str = "gate-1", venue_id: str = "mall") -> None:
    with runtime.unit_of_work(ADMIN) as uow:
        if not [v for v in list_venues(uow) if v.id == venue_id]:
            register_venue(uow, venue_id, "银泰", Venue.MALL, "330106", RiskLevel.MEDIUM)
        register_device(uow, device_id, venue_id, public_jwk(DEVICE_KEY.public_key()))


def scan(
    runtime: Runtime,
    decision: ScanDecision = ScanDecision.ALLOW,
    device_id: str = "gate-1",
    key: ec.EllipticCurvePrivateKey = DEVICE_KEY,
    skew: timedelta = timedelta(0),
) -> ScanOutcome:
    now = runtime.clock.now()
    rejected = decision is ScanDecision.REJECTED
    request = ScanRequest(
        device_id,
        now + skew,
        decision,
        subject=None if rejected else SUBJECT,
        token_digest=token_digest("HZ1:RANDOM") if rejected else None,
    )
    with runtime.unit_of_work(operator("scanner", "entry_check")) as uow:
        return record_scan(uow, device_id, sign_scan_request(request, key))


def stored_scans(runtime: Runtime) -> list[dict[str, object]]:
    with runtime.engine.connect() as connection:
        return [
            dict(row._mapping) for row in connection.execute(select(scans).order_by(scans.c.id))
        ]


def flag_of(runtime: Runtime, device_id: str = "gate-1") -> str | None:
    with runtime.engine.connect() as connection:
        return connection.scalar(
            select(scanner_devices.c.flag_reason).where(scanner_devices.c.id == device_id)
        )


def with_limit(runtime: Runtime, limit: int) -> Runtime:
    return dataclasses.replace(
        runtime, settings=dataclasses.replace(runtime.settings, scans_per_minute_limit=limit)
    )


# --- venue decisions at registered venues -----------------------------------------------------


def test_yellow_is_barred_from_registered_restricted_places__M3(runtime: Runtime) -> None:
    venue(runtime, "mall", Venue.MALL)
    venue(runtime, "hospital", Venue.MEDICAL_INSTITUTION)
    venue(runtime, "park", Venue.PARK)
    assert decide(runtime, "mall", Colour.YELLOW) == ("deny", ("M3",))
    assert decide(runtime, "hospital", Colour.YELLOW) == ("deny", ("M3",))
    treated = decide(runtime, "hospital", Colour.YELLOW, purpose=Purpose.OWN_TREATMENT)
    assert treated == ("allow", ("M3",))
    assert decide(runtime, "park", Colour.YELLOW) == ("allow", ("M3",))


def test_green_is_free_except_monitoring_at_special_institutions__M5(runtime: Runtime) -> None:
    venue(runtime, "school", Venue.SCHOOL)
    venue(runtime, "mall", Venue.MALL)
    assert decide(runtime, "school", Colour.GREEN) == ("allow", ("M5",))
    assert decide(runtime, "school", Colour.GREEN, frozenset({"health_monitoring"})) == (
        "deny",
        ("M5",),
    )
    assert decide(runtime, "mall", Colour.GREEN, frozenset({"health_monitoring"})) == (
        "allow",
        ("M5",),
    )


def test_low_risk_areas_check_only_the_listed_registered_places__S2(runtime: Runtime) -> None:
    venue(runtime, "park", Venue.PARK, RiskLevel.LOW)
    venue(runtime, "bus", Venue.LONG_DISTANCE_BUS_STATION, RiskLevel.LOW)
    assert decide(runtime, "park", Colour.RED) == ("not_checked", ("S2", "M1"))
    assert decide(runtime, "bus", Colour.RED) == ("deny", ("M1",))
    assert decide(runtime, "bus", Colour.GREEN) == ("allow", ("M5",))


def test_a_risk_area_rating_over_the_venue_makes_it_check__S2_A6(
    runtime: Runtime, clock: ManualClock
) -> None:
    venue(runtime, "park", Venue.PARK, RiskLevel.LOW, region="330106")
    with runtime.unit_of_work(operator()) as uow:
        record_risk_areas(uow, [risk_area("330100", "medium", march(21), march(25))])
    assert decide(runtime, "park", Colour.RED) == ("not_checked", ("S2", "M1"))
    clock.instant = march(22)
    assert decide(runtime, "park", Colour.RED) == ("deny", ("M1",))
    with runtime.unit_of_work(ADMIN) as uow:
        shown = find_venue(uow, "park")
    assert (shown.registered_risk, shown.area_risk) == (RiskLevel.LOW, RiskLevel.MEDIUM)
    clock.instant = march(26)
    assert decide(runtime, "park", Colour.RED) == ("not_checked", ("S2", "M1"))


def test_venue_registration_is_checked_and_audited__S2(runtime: Runtime) -> None:
    venue(runtime, "park", Venue.PARK, RiskLevel.LOW)
    with pytest.raises(RegistrationError, match="already registered"):
        venue(runtime, "park", Venue.PARK)
    with pytest.raises(RegistrationError, match="region"):
        venue(runtime, "nowhere", Venue.PARK, region="999999")
    with pytest.raises(RegistrationError, match="venue id"):
        venue(runtime, "bad id!", Venue.PARK)
    with runtime.unit_of_work(ADMIN) as uow:
        raised = set_area_risk(uow, "park", RiskLevel.HIGH)
    assert raised.area_risk is RiskLevel.HIGH
    with runtime.engine.connect() as connection:
        actions = list(connection.scalars(select(audit_log.c.action).order_by(audit_log.c.seq)))
    assert actions == ["venue.register", "venue.area_risk"]


# --- scanner devices and minimal scans (D2) ---------------------------------------------------


def test_a_device_registers_its_public_key_only__D2(runtime: Runtime) -> None:
    venue(runtime, "mall", Venue.MALL)
    private = {**public_jwk(DEVICE_KEY.public_key()), "d": "c2VjcmV0"}
    with runtime.unit_of_work(ADMIN) as uow, pytest.raises(RegistrationError, match="private"):
        register_device(uow, "gate-1", "mall", private)
    with runtime.unit_of_work(ADMIN) as uow, pytest.raises(RegistrationError, match="no venue"):
        register_device(uow, "gate-1", "elsewhere", public_jwk(DEVICE_KEY.public_key()))
    scanner(runtime)
    with runtime.unit_of_work(ADMIN) as uow:
        (device,) = list_devices(uow)
    assert device.as_json()["kid"] == public_jwk(DEVICE_KEY.public_key())["kid"]


def test_a_scan_is_recorded_minimally__D2(runtime: Runtime) -> None:
    scanner(runtime)
    assert scan(runtime).decision is ScanDecision.ALLOW
    assert scan(runtime, ScanDecision.REJECTED).decision is ScanDecision.REJECTED
    recorded = stored_scans(runtime)
    assert set(recorded[0]) == {"id", "device_id", "venue_id", "subject", "at", "decision"}
    assert [(r["subject"], r["decision"], r["venue_id"]) for r in recorded] == [
        (SUBJECT, "allow", "mall"),
        (None, "rejected", "mall"),
    ]


def test_a_scan_must_be_signed_by_its_device_and_fresh__D2(runtime: Runtime) -> None:
    scanner(runtime)
    impostor = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(ScanRequestError, match="not signed by the device"):
        scan(runtime, key=impostor)
    with pytest.raises(ScanRequestError, match="5 minutes"):
        scan(runtime, skew=timedelta(minutes=-6))
    with pytest.raises(ScanRequestError, match="no such scanner"):
        scan(runtime, device_id="gate-9")
    with (
        pytest.raises(ScanRequestError, match="not a signed scan report"),
        runtime.unit_of_work(operator("scanner", "entry_check")) as uow,
    ):
        record_scan(uow, "gate-1", b"\x00garbage")
    assert stored_scans(runtime) == []


def test_scans_are_purged_after_the_retention_window__D2(
    runtime: Runtime, clock: ManualClock
) -> None:
    scanner(runtime)
    scan(runtime)
    clock.instant = march(20) + timedelta(days=2)
    scan(runtime)
    clock.instant = march(20) + timedelta(days=28, minutes=1)
    with runtime.unit_of_work(operator("system", "scan_retention")) as uow:
        assert purge_scans(uow) == 1
    assert len(stored_scans(runtime)) == 1
    clock.instant = march(20) + timedelta(days=31)
    run_round(runtime)  # the worker purges every round
    assert stored_scans(runtime) == []
    with runtime.engine.connect() as connection:
        purges = list(
            connection.scalars(
                select(audit_log.c.detail).where(audit_log.c.action == "scans.purge")
            )
        )
    assert [detail.split()[0] for detail in purges] == ["deleted=1", "deleted=1"]


def test_a_device_scanning_too_fast_is_throttled_and_flagged__D2(
    runtime: Runtime, clock: ManualClock
) -> None:
    limited = with_limit(runtime, 5)
    scanner(limited)
    outcomes = [scan(limited).decision for _ in range(6)]
    assert outcomes == [ScanDecision.ALLOW] * 5 + [ScanDecision.THROTTLED]
    assert flag_of(limited) == "more than 5 scans in a minute"
    # Flagged, it stays refused after the minute has passed, until someone reviews it.
    clock.instant = march(20, 13)
    refused = scan(limited)
    assert refused.decision is ScanDecision.THROTTLED
    assert refused.refusal is not None
    assert "security administrator" in refused.refusal.en
    with runtime.unit_of_work(Actor("sec", "security_admin", "device_review")) as uow:
        clear_device_flag(uow, "gate-1")
    assert scan(limited).decision is ScanDecision.ALLOW
    recorded = stored_scans(limited)
    assert [r["subject"] for r in recorded if r["decision"] == "throttled"] == [None, None]
    with runtime.engine.connect() as connection:
        actions = list(
            connection.scalars(
                select(audit_log.c.action).where(audit_log.c.action.like("device.%"))
            )
        )
    assert actions == ["device.register", "device.flag", "device.clear"]


def test_a_device_probing_random_tokens_is_flagged__D2(
    runtime: Runtime, clock: ManualClock
) -> None:
    scanner(runtime)
    # A few unreadable codes among real ones are normal at any gate.
    for index in range(30):
        clock.instant = march(20) + timedelta(seconds=10 * index)
        bad = index % 4 == 0
        assert scan(runtime, ScanDecision.REJECTED if bad else ScanDecision.ALLOW).refusal is None
    # Mostly invalid codes: someone is trying random tokens.
    outcomes = []
    for index in range(30, 60):
        clock.instant = march(20) + timedelta(seconds=10 * index)
        outcomes.append(scan(runtime, ScanDecision.REJECTED).decision)
    assert ScanDecision.THROTTLED in outcomes
    assert "probing" in (flag_of(runtime) or "")


# --- replayed reports (issue #11) ---------------------------------------------------------------


def send(runtime: Runtime, report: bytes, device_id: str = "gate-1") -> ScanOutcome:
    """As `POST /api/v1/scans` does: a refused report's audit entry commits, then it is raised."""
    refused: ScanRequestError | None = None
    with runtime.unit_of_work(operator("scanner", "entry_check")) as uow:
        try:
            return record_scan(uow, device_id, report)
        except ScanRequestError as error:
            refused = error
    raise refused


def test_a_replayed_report_is_refused_and_the_device_is_not_flagged__D2(runtime: Runtime) -> None:
    scanner(runtime)
    limited = with_limit(runtime, 3)  # a replay counted as a scan would flag it by the fourth
    captured = sign_scan_request(
        ScanRequest("gate-1", runtime.clock.now(), ScanDecision.ALLOW, subject=SUBJECT), DEVICE_KEY
    )
    assert send(limited, captured).decision is ScanDecision.ALLOW
    for _ in range(70):
        with pytest.raises(ScanReplayError):
            send(limited, captured)
    assert len(stored_scans(limited)) == 1
    assert flag_of(limited) is None
    assert scan(limited).decision is ScanDecision.ALLOW  # the genuine device's next fresh report
    with limited.engine.connect() as connection:
        replays = connection.scalar(select(func.count()).where(audit_log.c.action == "scan.replay"))
    assert replays == 70


def test_a_report_without_a_nonce_is_refused_with_its_reason__D2(runtime: Runtime) -> None:
    scanner(runtime)
    at = int(runtime.clock.now().timestamp())
    payload = {"dev": "gate-1", "at": at, "dec": "allow", "sub": SUBJECT}
    old_format = sign1(cbor2.dumps(payload, canonical=True), b"gate-1", DEVICE_KEY)
    with pytest.raises(ScanRequestError, match="no nonce"):
        send(runtime, old_format)
    assert stored_scans(runtime) == []


def test_a_stale_report_is_refused_even_with_a_fresh_nonce__D2(runtime: Runtime) -> None:
    scanner(runtime)
    with pytest.raises(ScanRequestError, match="5 minutes"):
        scan(runtime, skew=-timedelta(minutes=6))
    assert scan(runtime).decision is ScanDecision.ALLOW

"""Venues, their scanner devices and the scans the devices report (M3, M5, S2, D2).

System administrators register venues and set the risk level of their area; devices are registered
with the public half of their own key, and a device that harvests codes is flagged until a security
administrator clears it. A scan report is signed by the device that made it: that signature, not
a session, is what authenticates a scanner.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from healthcode.domain.areas import RiskLevel
from healthcode.domain.roles import Role
from healthcode.domain.text import Bilingual
from healthcode.domain.venues import Venue
from healthcode.services.checkpoint.scans import ScanReplayError, record_scan
from healthcode.services.checkpoint.venues import (
    RegisteredDevice,
    RegistrationError,
    clear_device_flag,
    find_venue,
    list_devices,
    list_venues,
    register_device,
    register_venue,
    set_area_risk,
)
from healthcode.services.refusals import NOT_FOUND, Refusal, Refused
from healthcode.services.runtime import UnitOfWork
from healthcode.tokens.scan_reports import MAX_REQUEST_BYTES, ScanDecision, ScanRequestError
from healthcode.web.access import Caller, allow, public
from healthcode.web.deps import metrics_of, unit_of_work

router = APIRouter(prefix="/api/v1", tags=["venues"])

VenueReader = Annotated[
    Caller,
    Depends(
        allow(
            Role.SYSTEM_ADMIN,
            Role.CHECKPOINT,
            Role.AUDITOR,
            purpose="read registered venues and their area risk",
        )
    ),
]
VenueAdmin = Annotated[
    Caller, Depends(allow(Role.SYSTEM_ADMIN, purpose="register venues and rate their area"))
]
DeviceReader = Annotated[
    Caller,
    Depends(
        allow(
            Role.SYSTEM_ADMIN,
            Role.SECURITY_ADMIN,
            Role.AUDITOR,
            purpose="read registered scanner devices",
        )
    ),
]
DeviceAdmin = Annotated[
    Caller,
    Depends(
        allow(Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, purpose="register scanner devices and keys")
    ),
]
DeviceReviewer = Annotated[
    Caller, Depends(allow(Role.SECURITY_ADMIN, purpose="review a flagged scanner device (D2)"))
]
Scanner = Annotated[Caller, Depends(public(purpose="record a scan reported by a device (D2)"))]

Result = TypeVar("Result")


class NewVenue(BaseModel):
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=128)
    category: Venue
    region: str = Field(min_length=6, max_length=12)
    area_risk: RiskLevel


class AreaRiskChange(BaseModel):
    area_risk: RiskLevel


class NewDevice(BaseModel):
    id: str = Field(min_length=1, max_length=64)
    public_jwk: dict[str, Any] = Field(description="The public half of the device's ES256 key.")


class ScanReport(BaseModel):
    device_id: str = Field(min_length=1, max_length=64)
    report: str = Field(
        min_length=1,
        max_length=2 * MAX_REQUEST_BYTES,
        description="The COSE_Sign1 report signed with the device key, base64url.",
    )


@router.get("/venues")
def venues(request: Request, caller: VenueReader) -> list[dict[str, str]]:
    with unit_of_work(request, caller) as uow:
        return [venue.as_json() for venue in list_venues(uow)]


@router.post("/venues", status_code=201)
def add_venue(body: NewVenue, request: Request, caller: VenueAdmin) -> dict[str, str]:
    registered = _registering(
        request,
        caller,
        lambda uow: register_venue(
            uow, body.id, body.name, body.category, body.region, body.area_risk
        ),
    )
    return registered.as_json()


@router.get("/venues/{venue_id}")
def venue(venue_id: str, request: Request, caller: VenueReader) -> dict[str, str]:
    return _existing(request, caller, lambda uow: find_venue(uow, venue_id)).as_json()


@router.patch("/venues/{venue_id}")
def change_area_risk(
    venue_id: str, body: AreaRiskChange, request: Request, caller: VenueAdmin
) -> dict[str, str]:
    """Change the registered risk level of the venue's area; A6 ratings still count on top."""
    changed = _existing(request, caller, lambda uow: set_area_risk(uow, venue_id, body.area_risk))
    return changed.as_json()


@router.get("/venues/{venue_id}/devices")
def devices(venue_id: str, request: Request, caller: DeviceReader) -> list[dict[str, object]]:
    def of_venue(uow: UnitOfWork) -> list[RegisteredDevice]:
        found = find_venue(uow, venue_id)
        return [device for device in list_devices(uow) if device.venue_id == found.id]

    return [device.as_json() for device in _existing(request, caller, of_venue)]


@router.post("/venues/{venue_id}/devices", status_code=201)
def add_device(
    venue_id: str, body: NewDevice, request: Request, caller: DeviceAdmin
) -> dict[str, object]:
    _existing(request, caller, lambda uow: find_venue(uow, venue_id))
    registered = _registering(
        request, caller, lambda uow: register_device(uow, body.id, venue_id, body.public_jwk)
    )
    return registered.as_json()


@router.post("/devices/{device_id}/flag-clearance")
def clear_flag(device_id: str, request: Request, caller: DeviceReviewer) -> dict[str, object]:
    """After review, a device flagged for harvesting codes may scan again."""
    return _existing(request, caller, lambda uow: clear_device_flag(uow, device_id)).as_json()


@router.post("/scans")
def scan(body: ScanReport, request: Request, caller: Scanner) -> dict[str, object]:
    """Record a scan. Public as far as sessions go: the report is signed with the key of a
    registered device, and `record_scan` refuses any report that its device did not sign."""
    signed = _report_bytes(body.report)
    refusal: ScanRequestError | None = None
    with unit_of_work(request, caller) as uow:
        try:
            outcome = record_scan(uow, body.device_id, signed)
        except ScanRequestError as error:
            refusal = error
    counter = metrics_of(request).verifications
    if isinstance(refusal, ScanReplayError):
        counter.labels("device_refused").inc()
        raise Refused(Refusal(409, "scan_report_replayed", _REPLAYED))
    if refusal is not None:
        counter.labels("device_refused").inc()
        text = Bilingual(_REPORT_REFUSED_ZH, f"The scan report was refused: {refusal}")
        raise Refused(Refusal(401, "scan_report_refused", text))
    counter.labels(outcome.decision.value).inc()
    if outcome.decision is ScanDecision.THROTTLED and outcome.refusal is not None:
        # The throttled scan is recorded (committed above) before the device hears no.
        raise Refused(Refusal(429, "device_throttled", outcome.refusal))
    return outcome.as_json()


def _report_bytes(report: str) -> bytes:
    try:
        padded = report + "=" * (-len(report) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise Refused(
            Refusal(
                422,
                "invalid_input",
                Bilingual("扫码报告格式错误", "The report is not base64url."),
                "report",
            )
        ) from None


def _registering(
    request: Request, caller: Caller, action: Callable[[UnitOfWork], Result]
) -> Result:
    """A registration the service cannot make is rolled back, then refused with its reason."""
    try:
        with unit_of_work(request, caller) as uow:
            return action(uow)
    except RegistrationError as error:
        raise Refused(registration_refused(error)) from None


def _existing(request: Request, caller: Caller, action: Callable[[UnitOfWork], Result]) -> Result:
    """An unknown venue or device is a 404; the service says so with a RegistrationError."""
    try:
        with unit_of_work(request, caller) as uow:
            return action(uow)
    except RegistrationError:
        raise Refused(NOT_FOUND) from None


def registration_refused(error: RegistrationError) -> Refusal:
    # The service's reasons name venues, devices and categories, never personal data.
    return Refusal(
        422,
        "registration_refused",
        Bilingual(f"无法登记：{error}", f"Cannot be registered: {error}"),
    )


# The service's one-line reasons name no holder and no content, so the English one is passed on.
_REPORT_REFUSED_ZH = "扫码报告未通过设备验证：设备未登记、签名无效、格式错误或时间不符"
_REPLAYED = Bilingual(
    "该扫码报告已接收过，重复发送的报告不予记录（设备不受影响）",
    "This scan report was already received; a report sent again is not recorded (the device is "
    "not affected).",
)

"""Scans: recorded minimally, kept a limited time, and harvesting stopped (D2).

A scan record holds the code's pseudonymous subject, the venue, the instant and the decision:
nothing that names the holder. Records older than `scan_retention` are purged by the worker.

Against malicious scanning (防范通过恶意扫码进行数据窃取): a device that scans faster than
`scans_per_minute_limit`, or whose recent scans are mostly unreadable or invalid codes (someone
trying random tokens), is refused and flagged. A flagged device stays refused until a security
administrator reviews it and clears the flag (`clear_device_flag`): a harvester must not simply
wait a minute. Refused scans are recorded too, with the decision `throttled` and no subject.

A report is accepted once (issue #11): its nonce is remembered before anything is counted, and a
replay is refused as such (`ScanReplayError`), neither recorded as a scan nor counted towards the
device's rate, so resending a captured report cannot get the genuine device flagged. The rate is
counted by one statement per report (`uow.limits`), exact under parallel reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from healthcode.db.venues_store import StoredDevice, VenueStore
from healthcode.domain.text import Bilingual
from healthcode.services.limits import count_hit, purge_counters
from healthcode.services.runtime import UnitOfWork
from healthcode.tokens.jwk import public_key_from_jwk
from healthcode.tokens.scan_reports import (
    ScanDecision,
    ScanRequest,
    ScanRequestError,
    read_scan_request,
    signed_by,
)

# A device's clock may differ from ours this much; a report outside it is refused (a replayed or
# hoarded report). The platform records its own instant, so a device cannot spread its rate out.
FRESHNESS: Final = timedelta(minutes=5)
RATE_WINDOW: Final = timedelta(minutes=1)
# Probing: among the device's latest PROBE_SAMPLE scans of the last PROBE_WINDOW, more than
# PROBE_SHARE unreadable or invalid. Below PROBE_MIN_SCANS a few bad codes prove nothing: creased
# paper and cracked screens happen at every gate.
PROBE_WINDOW: Final = timedelta(minutes=10)
PROBE_SAMPLE: Final = 50
PROBE_MIN_SCANS: Final = 20
PROBE_SHARE: Final = 0.5
_MAX_FLAG_REASON: Final = 128  # scanner_devices.flag_reason


class ScanReplayError(ScanRequestError):
    """A report the platform has already accepted, sent again."""


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """What was recorded; `refusal` says why when the platform refused the scan."""

    decision: ScanDecision
    refusal: Bilingual | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "recorded": self.decision.value,
            "refusal": None if self.refusal is None else self.refusal.as_dict(),
        }


def record_scan(uow: UnitOfWork, device_id: str, signed_request: bytes) -> ScanOutcome:
    """Record a scan reported by a registered device, unless the device is throttled.

    `ScanRequestError` (nothing recorded) when the device is unknown, the report is malformed,
    not signed by the device's own key, or not fresh.
    """
    store = uow.venues
    device = store.device(device_id)
    if device is None:
        raise ScanRequestError("no such scanner device is registered")
    request, message = read_scan_request(signed_request)
    if request.device_id != device_id:
        raise ScanRequestError("the report is from another device")
    if not signed_by(message, public_key_from_jwk(device.public_jwk)):
        raise ScanRequestError("the report is not signed by the device's registered key")
    if abs(request.scanned_at - uow.now) > FRESHNESS:
        raise ScanRequestError("the scan time is more than 5 minutes from the platform's clock")
    if request.nonce is None:
        raise ScanRequestError("the report carries no nonce (`n`); update the device's software")
    # Only a genuine, fresh report gets this far, so only a device's own reports fill its nonces.
    if not uow.scan_nonces.first_time(device.id, request.nonce, uow.now):
        uow.audit("scan.replay", f"device:{device.id}", outcome="refused")
        raise ScanReplayError("the report was already received (a replay)")
    refusal = _refusal(uow, store, device, request)
    if refusal is not None:
        store.add_scan(device.id, device.venue_id, None, uow.now, ScanDecision.THROTTLED.value)
        return ScanOutcome(ScanDecision.THROTTLED, refusal)
    store.add_scan(device.id, device.venue_id, request.subject, uow.now, request.decision.value)
    return ScanOutcome(request.decision)


def purge_scans(uow: UnitOfWork) -> int:
    """Delete scan records older than the retention window, and the code pseudonyms that expired
    before it (nothing kept can name them any more); returns how many scans went."""
    cutoff = uow.now - uow.runtime.settings.scan_retention
    deleted = uow.venues.purge_scans(cutoff)
    forgotten = uow.code_subjects.purge_expired_before(cutoff)
    # A nonce is kept while its report could be fresh, on either side of the platform's clock.
    uow.scan_nonces.purge(uow.now - 2 * FRESHNESS)
    purge_counters(uow)
    if deleted or forgotten:
        uow.audit(
            "scans.purge",
            detail=f"deleted={deleted} pseudonyms={forgotten} before={cutoff.isoformat()}",
        )
    return deleted


def _refusal(
    uow: UnitOfWork, store: VenueStore, device: StoredDevice, request: ScanRequest
) -> Bilingual | None:
    if device.flagged_at is not None:
        return _refused(Bilingual("设备已被标记待核查", f"flagged: {device.flag_reason}"))
    why = _harvesting(uow, store, device, request)
    if why is None:
        return None
    store.flag(device.id, why.en[:_MAX_FLAG_REASON], uow.now)
    uow.audit("device.flag", f"device:{device.id}", outcome="flagged", detail=why.en)
    return _refused(why)


def _harvesting(
    uow: UnitOfWork, store: VenueStore, device: StoredDevice, request: ScanRequest
) -> Bilingual | None:
    limit = uow.runtime.settings.scans_per_minute_limit
    key = uow.runtime.vault.blind_index("limit", f"scans_per_device_minute:{device.id}")
    if count_hit(uow, key, RATE_WINDOW)[0] > limit:
        return Bilingual(f"每分钟扫码超过{limit}次", f"more than {limit} scans in a minute")
    earlier = store.recent_decisions(device.id, uow.now - PROBE_WINDOW, PROBE_SAMPLE - 1)
    recent = [request.decision.value, *earlier]
    rejected = recent.count(ScanDecision.REJECTED.value)
    if len(recent) >= PROBE_MIN_SCANS and rejected > PROBE_SHARE * len(recent):
        return Bilingual(
            f"近期扫码{len(recent)}次中{rejected}次为无效码（疑似试探随机码）",
            f"{rejected} of its last {len(recent)} scans were invalid codes (probing)",
        )
    return None


def _refused(why: Bilingual) -> Bilingual:
    return Bilingual(
        f"扫码被拒绝：{why.zh}。请联系安全管理员核查该设备；持码人可凭其他凭证通行",
        f"Scan refused: {why.en}. Ask the security administrator to review this device; "
        "the holder may pass with other proof",
    )

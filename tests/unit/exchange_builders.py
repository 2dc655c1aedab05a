"""Builders of exchange records for the tests: plain functions, valid unless told otherwise."""

from __future__ import annotations

import io
from typing import Any

import builders

OCCURRED_AT = "2021-03-10T12:00:00+08:00"

VALID_PAYLOADS: dict[str, dict[str, Any]] = {
    "diagnosis": {"status": "confirmed"},
    "isolation": {"action": "start", "setting": "centralized", "reason": "close_contact"},
    "home_observation": {"action": "start"},
    "health_monitoring": {"action": "end"},
    "fever_clinic": {"action": "start"},
    "symptoms": {"action": "report", "symptoms": ["fever", "respiratory"]},
    "test": {
        "kind": "nucleic_acid",
        "result": "negative",
        "sampled_at": "2021-03-10T08:00:00+08:00",
    },
    "vaccination": {"dose": 2, "product": "新冠病毒灭活疫苗(Vero细胞)"},
    "recovery": {
        "valid_from": "2021-03-21T08:00:00+08:00",
        "valid_until": "2021-09-06T08:00:00+08:00",
        "issuing_country": "DE",
    },
    "trip": {"region": "420106", "until": "2021-03-12T18:00:00+08:00"},
    "entry": {"port": "PVG", "from_country": "USA"},
    "designation": {
        "action": "start",
        "color": "red",
        "reason": "密接的密接",
        "authority": "杭州市西湖区疫情防控指挥部",
    },
    "retraction": {"retracts": "test-1", "reason": "样本登记错误"},
}
"""One valid set of type-specific fields for every event type of SPEC §1."""


def resident_id(region: str = "330106", birth: str = "19800101", sequence: str = "001") -> str:
    """A resident ID number whose GB 11643 (ISO 7064 MOD 11-2) check character is right."""
    return builders.resident_id(region, birth, sequence)


def person(**overrides: Any) -> dict[str, Any]:
    """A resident; an override of None removes that field."""
    fields = {
        "id_type": "resident_id",
        "id_number": resident_id(),
        "name": "张三",
        "phone": "13800138000",
        "nationality": "CHN",
    }
    return _overridden(fields, overrides)


def event(event_type: str = "diagnosis", **overrides: Any) -> dict[str, Any]:
    """A valid event of `event_type`; an override of None removes that field."""
    fields = {
        "event_id": f"{event_type}-1",
        "source": "health",
        "type": event_type,
        "person": person(),
        "occurred_at": OCCURRED_AT,
        **VALID_PAYLOADS.get(event_type, {}),
    }
    return _overridden(fields, overrides)


def risk_area(**overrides: Any) -> dict[str, Any]:
    fields = {"region": "420106", "level": "high", "effective_from": "2021-03-01T00:00:00+08:00"}
    return _overridden(fields, overrides)


def severe_designation(**overrides: Any) -> dict[str, Any]:
    fields = {
        "designation_id": "ZJ-2021-001",
        "region": "330106",
        "lookback_days": 14,
        "effective_from": "2021-03-15T00:00:00+08:00",
        "approved_by": "浙江省疫情防控工作领导小组",
        "assessment_ref": "浙卫评〔2021〕1号",
    }
    return _overridden(fields, overrides)


def text(content: str) -> io.StringIO:
    return io.StringIO(content)


def _overridden(fields: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = {**fields, **overrides}
    return {name: value for name, value in merged.items() if value is not None}

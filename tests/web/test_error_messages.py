"""Error answers never repeat what was sent (D2, issue #11): a refusal names the field at fault
in fixed words, so an answer (and the log or screen it lands on) cannot carry a caller's input."""

from __future__ import annotations

import pytest

from healthcode.domain.roles import Role
from web_builders import Callers

CLIENT = {
    "id": "cdc-lab",
    "name": "杭州市疾控中心实验室",
    "department": "health",
    "categories": ["test"],
    "purpose": "report test results",
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_unknown_category_is_refused_without_repeating_it__D2(
    callers: Callers, lang: str
) -> None:
    security = callers.in_role(Role.SECURITY_ADMIN)
    body = {**CLIENT, "categories": ["nucleic_acid_test"]}
    response = callers.client.post(
        f"/api/v1/admin/clients?lang={lang}", headers=security, json=body
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "account_refused"
    assert "nucleic_acid_test" not in response.text


def test_a_taken_name_is_refused_without_repeating_it__D2(callers: Callers) -> None:
    security = callers.in_role(Role.SECURITY_ADMIN)
    staff = {"username": "handler.xihu", "roles": ["hotline-operator"]}
    assert callers.client.post("/api/v1/admin/staff", headers=security, json=staff).is_success
    again = callers.client.post("/api/v1/admin/staff?lang=en", headers=security, json=staff)
    assert again.status_code == 422
    assert "handler.xihu" not in again.text
    assert callers.client.post("/api/v1/admin/clients", headers=security, json=CLIENT).is_success
    twice = callers.client.post("/api/v1/admin/clients?lang=en", headers=security, json=CLIENT)
    assert twice.status_code == 422
    assert "cdc-lab" not in twice.text


def test_a_venue_in_an_unknown_region_is_refused_without_repeating_it__D2(
    callers: Callers,
) -> None:
    admin = callers.in_role(Role.SYSTEM_ADMIN)
    venue = {
        "id": "mall-9",
        "name": "商场",
        "category": "mall",
        "region": "999999",
        "area_risk": "low",
    }
    response = callers.client.post("/api/v1/venues?lang=en", headers=admin, json=venue)
    assert response.status_code == 422, response.text
    assert "999999" not in response.text
    created = callers.client.post(
        "/api/v1/venues", headers=admin, json={**venue, "region": "330106"}
    )
    assert created.status_code == 201, created.text
    again = callers.client.post(
        "/api/v1/venues?lang=en", headers=admin, json={**venue, "region": "330106"}
    )
    assert again.status_code == 422
    assert "mall-9" not in again.text

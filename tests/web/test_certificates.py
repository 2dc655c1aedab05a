"""Paper certificates issued from the console by a community's or medical institution's own
staff (S4): only they may, only in their institution's name, only its statement; a checkpoint
accepts what they issue."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from healthcode.domain.certificates import InstitutionKind
from healthcode.domain.roles import Role
from web_builders import Callers, RouteCase, assert_access

BODY = {
    "id_type": "resident_id",
    "id_number": "330106194303052421",
    "statement": "low_risk_resident",
}
ROUTES = [
    RouteCase("POST", "/api/v1/certificates", frozenset({Role.INSTITUTION_STAFF}), BODY),
    RouteCase("GET", "/console/certificates", frozenset({Role.INSTITUTION_STAFF})),
]


@pytest.mark.parametrize("case", ROUTES, ids=lambda case: f"{case.method} {case.path}")
def test_only_an_institutions_staff_issue_certificates__S4_D2(
    access_callers: Callers, case: RouteCase
) -> None:
    assert_access(access_callers, case)


def test_a_community_clerk_issues_one_a_checkpoint_accepts__S4(
    client: TestClient, callers: Callers
) -> None:
    clerk = callers.staff(Role.INSTITUTION_STAFF)
    page = client.get("/console/certificates", headers=clerk)
    assert "北山街道社区" in page.text
    assert 'value="low_risk_resident" checked' in page.text
    assert "no_abnormality" not in page.text  # a community certifies its residents only
    issued = client.post("/api/v1/certificates", headers=clerk, json=BODY)
    assert issued.status_code == 201, issued.text
    shown = issued.json()
    assert shown["text"].startswith("HZC1:")
    assert shown["qr_png"].startswith("data:image/png;base64,")
    assert shown["institution"] == "北山街道社区"
    assert BODY["id_number"] not in issued.text  # the number goes in, never back out (D2)

    venue = {"id": "mall-9", "name": "银泰", "category": "mall", "region": "330106"}
    admin = callers.staff(Role.SYSTEM_ADMIN)
    registered = client.post("/api/v1/venues", headers=admin, json=venue | {"area_risk": "medium"})
    assert registered.status_code == 201, registered.text
    checked = client.post(
        "/api/v1/checkpoint/certificate",
        headers=callers.staff(Role.CHECKPOINT),
        json={"venue_id": "mall-9", "certificate": shown["text"]},
    )
    assert checked.status_code == 200, checked.text
    assert checked.json()["decision"] == "allow"
    assert "北山街道社区" in checked.json()["reason"]["zh"]


def test_an_institution_makes_only_its_own_statement__S4(
    client: TestClient, callers: Callers
) -> None:
    hospital = callers.institution(InstitutionKind.MEDICAL, "西湖区人民医院")
    doctor = callers.staff(Role.INSTITUTION_STAFF, institution=hospital)
    refused = client.post("/api/v1/certificates", headers=doctor, json=BODY)
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "statement"
    bad = client.post("/api/v1/certificates", headers=doctor, json=BODY | {"id_number": "1"})
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "id_number")
    fine = client.post(
        "/api/v1/certificates", headers=doctor, json=BODY | {"statement": "no_abnormality"}
    )
    assert fine.status_code == 201
    assert fine.json()["institution"] == "西湖区人民医院"


def test_an_institutions_staff_account_names_its_institution__S4_D2(
    client: TestClient, callers: Callers
) -> None:
    security = callers.staff(Role.SECURITY_ADMIN)
    new = {"username": "clerk-a", "roles": ["institution-staff"]}
    assert client.post("/api/v1/admin/staff", headers=security, json=new).status_code == 422
    unknown = new | {"institution": "nowhere"}
    assert client.post("/api/v1/admin/staff", headers=security, json=unknown).status_code == 422
    other = {"username": "clerk-b", "roles": ["auditor"], "institution": callers.institution()}
    assert client.post("/api/v1/admin/staff", headers=security, json=other).status_code == 422
    good = new | {"institution": callers.institution()}
    created = client.post("/api/v1/admin/staff", headers=security, json=good)
    assert created.status_code == 201, created.text
    assert created.json()["institution"] == good["institution"]
    assert "clerk-a" in client.get("/console/staff", headers=security).text

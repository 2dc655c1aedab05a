"""Border staff record a verified foreign certificate as the traveller's facts (A8, S5, D2)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Final

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import ManualClock
from card_builders import NAAT, NEGATIVE, Issuer, immunization, lab_result
from healthcode.db.schema import audit_log
from healthcode.domain.roles import Role
from healthcode.services.runtime import Runtime
from web_builders import Callers, RouteCase, assert_access

PATH: Final = "/api/v1/foreign/facts"
PASSPORT: Final = {"id_type": "passport", "id_number": "X1234567"}


ROUTES = [RouteCase("POST", PATH, frozenset({Role.BORDER}), {"text": "HZ1:X", "person": PASSPORT})]


@pytest.mark.parametrize("case", ROUTES)
def test_only_border_staff_record_foreign_certificates__D2(
    access_callers: Callers, case: RouteCase
) -> None:
    assert_access(access_callers, case)


@pytest.fixture
def issuer(runtime: Runtime) -> Issuer:
    issuer = Issuer()
    folder = runtime.settings.foreign_trust_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "issuer.jwks.json").write_text(json.dumps(issuer.trust.jwks[0]), encoding="utf-8")
    return issuer


def test_a_card_s_accepted_facts_are_recorded_once_and_audited_by_counts__A8_S5_D2(
    client: TestClient, callers: Callers, runtime: Runtime, issuer: Issuer, clock: ManualClock
) -> None:
    now = clock.now()
    card = issuer.card(
        immunization("208", (now - timedelta(days=60)).date().isoformat()),
        lab_result(NAAT, NEGATIVE, (now - timedelta(hours=20)).isoformat()),
        nbf=now - timedelta(days=1),
    )
    border = callers.staff(Role.BORDER)
    answer = client.post(PATH, headers=border, json={"text": card, "person": PASSPORT})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["format"], body["accepted"], body["unaccepted"]) == ("shc", 2, [])
    again = client.post(PATH, headers=border, json={"text": card, "person": PASSPORT}).json()
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    assert "X1234567" not in answer.text
    with runtime.engine.connect() as connection:
        details = connection.execute(
            select(audit_log.c.detail).where(audit_log.c.action == "foreign.record")
        ).scalars()
        assert all("X1234567" not in (detail or "") and "Traveller" not in (detail or "")
                   for detail in details)  # fmt: skip


def test_a_bad_document_number_is_refused_naming_the_field_not_the_number__D2(
    client: TestClient, callers: Callers, issuer: Issuer, clock: ManualClock
) -> None:
    card = issuer.card(immunization("208", "2021-01-01"), nbf=clock.now() - timedelta(days=1))
    person = {"id_type": "resident_id", "id_number": "110101199001011234"}
    answer = client.post(
        PATH, headers=callers.staff(Role.BORDER), json={"text": card, "person": person}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "person.id_number"
    assert "110101199001011234" not in answer.text


def test_a_certificate_that_is_not_valid_is_refused__A8(
    client: TestClient, callers: Callers, issuer: Issuer, clock: ManualClock, tmp_path: Path
) -> None:
    card = Issuer().card(immunization("208", "2021-01-01"), nbf=clock.now() - timedelta(days=1))
    answer = client.post(
        PATH, headers=callers.staff(Role.BORDER), json={"text": card, "person": PASSPORT}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "certificate_not_valid"

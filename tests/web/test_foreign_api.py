"""Border and checkpoint staff verify foreign certificates through the API (A8, S1, S5, D2).

A member state's real certificate from the shared vectors (tests/conformance/dcc), verified
against trust files in the installation's folder, which the operator may change at any time.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any, Final

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from healthcode.db.schema import audit_log
from healthcode.domain.roles import Role
from healthcode.foreign.verdicts import CHECKS
from healthcode.services.runtime import Runtime
from web_builders import Callers, RouteCase, assert_access

PATH: Final = "/api/v1/foreign/verify"
VECTOR: Final = json.loads(
    (
        Path(__file__).parents[1] / "conformance" / "dcc" / "DE" / "2DCode" / "raw" / "1.json"
    ).read_text(encoding="utf-8")
)
TEXT: Final = VECTOR["PREFIX"]
AT: Final = VECTOR["TESTCTX"]["VALIDATIONCLOCK"]
DSC: Final = base64.b64decode(VECTOR["TESTCTX"]["CERTIFICATE"])
HOLDER: Final = VECTOR["JSON"]["nam"]
PERSONAL: Final = (HOLDER["fn"], HOLDER["gn"], HOLDER["fnt"], VECTOR["JSON"]["dob"])
CERTIFICATE_ID: Final = VECTOR["JSON"]["v"][0]["ci"]


ROUTES = [RouteCase("POST", PATH, frozenset({Role.BORDER, Role.CHECKPOINT}), {"text": "HZ1:X"})]


@pytest.mark.parametrize("case", ROUTES)
def test_only_border_and_checkpoint_staff_verify_foreign_certificates__D2(
    access_callers: Callers, case: RouteCase
) -> None:
    assert_access(access_callers, case)


@pytest.fixture
def trust_dir(runtime: Runtime) -> Path:
    folder = runtime.settings.foreign_trust_dir
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def border(callers: Callers) -> dict[str, str]:
    return callers.staff(Role.BORDER)


def post(client: TestClient, headers: dict[str, str], **body: object) -> Any:
    return client.post(PATH, headers=headers, json=body)


def test_a_valid_certificate_answers_the_verdict_with_a_masked_name__A8_S5_D2(
    client: TestClient, trust_dir: Path, border: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    (trust_dir / "de-dsc.der").write_bytes(DSC)
    with caplog.at_level(logging.DEBUG):
        response = post(client, border, text=TEXT, at=AT)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"format", "valid", "checks", "reasons", "facts"}
    assert (answer["format"], answer["valid"]) == ("eu-dcc", True)
    assert answer["checks"] == dict.fromkeys(CHECKS, True)
    (fact,) = answer["facts"]
    assert (fact["kind"], fact["country"]) == ("vaccination", "DE")
    assert fact["holder_name"] == "M*********, E****"
    for personal in PERSONAL[:3]:
        assert personal not in response.text
    for personal in (*PERSONAL, CERTIFICATE_ID):
        assert personal not in caplog.text


def test_verifications_are_audited_by_format_and_reason_codes_only__D2(
    client: TestClient, runtime: Runtime, trust_dir: Path, border: dict[str, str]
) -> None:
    (trust_dir / "de-dsc.der").write_bytes(DSC)
    assert post(client, border, text=TEXT, at=AT).json()["valid"] is True
    later = post(client, border, text=TEXT, at="2023-06-01T00:00:00Z").json()
    assert later["valid"] is False
    assert post(client, border, text="HZ1:NOT FOREIGN").status_code == 422
    with runtime.engine.connect() as connection:
        rows = connection.execute(
            select(
                audit_log.c.role,
                audit_log.c.purpose,
                audit_log.c.object,
                audit_log.c.outcome,
                audit_log.c.detail,
            ).where(audit_log.c.action == "foreign.verify")
        ).all()
    purpose = "verify an inbound traveller's foreign health certificate"
    assert [tuple(row) for row in rows] == [
        ("border-staff", purpose, "format:eu-dcc", "valid", "reasons=-"),
        ("border-staff", purpose, "format:eu-dcc", "invalid", "reasons=expired,signer-expired"),
        ("border-staff", purpose, None, "refused", "unknown format"),
    ]
    for personal in (*PERSONAL, CERTIFICATE_ID):
        assert personal not in str(rows)


def test_without_at_the_servers_clock_decides__S1(
    client: TestClient, trust_dir: Path, border: dict[str, str]
) -> None:
    (trust_dir / "de-dsc.der").write_bytes(DSC)
    answer = post(client, border, text=TEXT).json()  # the test clock: 20 March 2021
    assert answer["checks"]["expiry"] is False
    assert [reason["code"] for reason in answer["reasons"]] == [
        "not-yet-valid",
        "signer-not-yet-valid",
    ]
    assert answer["facts"] == []


def test_trust_files_added_later_are_used_without_a_restart__S1(
    client: TestClient, trust_dir: Path, callers: Callers
) -> None:
    checkpoint = callers.staff(Role.CHECKPOINT)
    before = post(client, checkpoint, text=TEXT, at=AT).json()
    assert [reason["code"] for reason in before["reasons"]] == ["unknown-key"]
    listing = [
        {"certificateType": "DSC", "country": "DE", "rawData": VECTOR["TESTCTX"]["CERTIFICATE"]}
    ]
    (trust_dir / "trust-list.json").write_text(json.dumps(listing), "utf-8")
    assert post(client, checkpoint, text=TEXT, at=AT).json()["valid"] is True


def test_an_unknown_format_is_a_spec_error_naming_the_field__S1(
    client: TestClient, border: dict[str, str]
) -> None:
    response = post(client, border, text="HZ1:6BFOXN*TS0BI$ZD")
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("unknown_format", "text")
    assert "HZ1:6BFOXN" not in response.text  # the input is never echoed


def test_an_instant_without_an_offset_is_refused(
    client: TestClient, border: dict[str, str]
) -> None:
    response = post(client, border, text=TEXT, at="2021-06-01T12:00:00")
    assert response.status_code == 422
    assert set(response.json()["error"]) >= {"code", "message"}


def test_a_broken_trust_file_is_the_servers_problem_and_says_so__S1(
    client: TestClient,
    trust_dir: Path,
    border: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    (trust_dir / "broken.pem").write_text("-----BEGIN CERTIFICATE-----\nAAAA\n", "utf-8")
    with caplog.at_level(logging.WARNING, logger="healthcode.foreign"):
        response = post(client, border, text=TEXT, at=AT)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "foreign_trust_unavailable"
    assert "broken.pem" not in response.text
    assert "broken.pem" in caplog.text  # the operator finds the file in the server's log
    (trust_dir / "broken.pem").unlink()
    (trust_dir / "de-dsc.der").write_bytes(DSC)
    assert post(client, border, text=TEXT, at=AT).json()["valid"] is True

"""What the engineer on call relies on (D3): liveness, readiness, metrics by route template,
the OpenAPI document, and failures that say nothing they should not."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient

from builders import ManualClock
from healthcode.db.engine import connect
from healthcode.security.keyring import generate_keyring
from healthcode.security.vault import Vault
from healthcode.services.runtime import Runtime
from healthcode.settings import Settings
from healthcode.web import create_app
from healthcode.web.access import public
from healthcode.web.logs import JsonFormatter
from healthcode.web.rendering import TEMPLATES
from web_builders import SCRAPER, Callers, RouteCase, assert_access

ROUTES = [
    RouteCase("GET", "/healthz", None),
    RouteCase("GET", "/readyz", None),
    RouteCase("GET", "/metrics", None),
]


@pytest.mark.parametrize("case", ROUTES, ids=lambda case: f"{case.method} {case.path}")
def test_probes_and_metrics_are_open_to_the_platform__D3(
    access_callers: Callers, case: RouteCase
) -> None:
    assert_access(access_callers, case)


def test_ready_only_on_a_migrated_database__D3(
    client: TestClient, tmp_path: Path, clock: ManualClock
) -> None:
    assert client.get("/readyz").json()["status"] == "ready"
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    vault = Vault(generate_keyring(clock.now()))
    empty = Runtime(
        Settings(tmp_path, url), connect(url), vault, clock, vault.blind_index("audit", "t")
    )
    with TestClient(create_app(empty.settings, empty)) as fresh:
        assert fresh.get("/healthz").status_code == 200
        not_ready = fresh.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json()["error"]["code"] == "not_ready"


def test_metrics_count_requests_by_route_template_never_by_id__D2_D3(
    client: TestClient, callers: Callers
) -> None:
    headers = callers.resident()
    client.get("/api/v1/codes/3f1c2d9e-0000-4000-8000-000000000000", headers=headers)
    metrics = client.get("/metrics", headers=SCRAPER).text
    assert 'route="/api/v1/codes/{person_id}"' in metrics
    assert "3f1c2d9e" not in metrics
    assert "healthcode_http_request_seconds_bucket" in metrics


def test_the_openapi_document_describes_the_versioned_api__D3(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = set(document["paths"])
    assert {"/api/v1/applications", "/api/v1/verify", "/api/v1/facts"} <= paths
    assert all(
        path.startswith(("/api/v1/", "/.well-known/", "/healthz", "/readyz")) for path in paths
    )


def test_an_unexpected_failure_is_a_plain_500_without_details__D2(runtime: Runtime) -> None:
    app = create_app(runtime.settings, runtime)

    @app.get("/boom", dependencies=[Depends(public("test failure"))])
    def boom() -> None:
        raise RuntimeError("330106198506122133 in SELECT * FROM persons")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "系统繁忙，请稍后再试。"}
    }


def test_log_lines_are_json_with_only_the_fields_given__D2() -> None:
    record = logging.LogRecord(
        "healthcode.web", logging.ERROR, "x", 1, "unhandled error", None, None
    )
    record.route = "/api/v1/verify"
    line = json.loads(JsonFormatter().format(record))
    assert (line["event"], line["route"], line["level"]) == (
        "unhandled error",
        "/api/v1/verify",
        "error",
    )


def test_english_errors_on_request__A8(client: TestClient) -> None:
    response = client.get("/api/v1/auth/me", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert response.json()["error"] == {"code": "not_signed_in", "message": "Please sign in first."}


def test_pages_forbid_inline_scripts_framing_and_sniffing__D2(client: TestClient) -> None:
    page = client.get("/sign-in")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self' 'wasm-unsafe-eval'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy
    assert (page.headers["x-content-type-options"], page.headers["referrer-policy"]) == (
        "nosniff",
        "no-referrer",
    )
    # Every script the page runs comes from a file: what it needs arrives as inert JSON.
    scripts = re.findall(r"<script(?![^>]*\b(?:src|type=\"application/json\"))[^>]*>", page.text)
    assert scripts == []


def test_no_template_has_an_inline_script_or_style__D2() -> None:
    """The policy would block them in the browser: caught here, before a page silently breaks."""
    inline = re.compile(
        r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>|\sstyle=\"|\son\w+=\""
    )
    offending = [
        str(path.relative_to(TEMPLATES))
        for path in sorted(TEMPLATES.rglob("*.html"))
        if inline.search(path.read_text(encoding="utf-8"))
    ]
    assert offending == []
    assert len(list(TEMPLATES.rglob("*.html"))) > 20  # the walk found the templates

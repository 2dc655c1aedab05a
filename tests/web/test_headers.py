"""Headers of every answer (D2, issue #11): nothing that may carry personal data is kept in a
cache, HTTPS is remembered once reached, and the metrics are for the platform's scraper only."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from healthcode.services.runtime import Runtime
from healthcode.web import create_app
from healthcode.web.static_files import fingerprint
from web_builders import SCRAPER, Callers, on_register_as

PRIVATE = (
    "/api/v1/me/people",
    "/api/v1/auth/me",
    "/api/v1/nowhere",  # an error answer is private too: it may be about someone's request
    "/",
    "/sign-in",
    "/console",
    "/readyz",
    "/metrics",
)
PUBLIC = ("/healthz", "/openapi.json", "/.well-known/healthcode/trust-list", "/static/css/app.css")


@pytest.mark.parametrize("path", PRIVATE)
def test_answers_that_may_carry_personal_data_are_never_stored__D2(
    client: TestClient, callers: Callers, path: str
) -> None:
    headers = {**callers.resident(), **SCRAPER} if path != "/metrics" else SCRAPER
    response = client.get(path, headers=headers, follow_redirects=False)
    assert response.headers.get("cache-control") == "no-store", (path, response.status_code)


def test_a_resident_code_is_never_stored__D2(client: TestClient, callers: Callers) -> None:
    resident = callers.resident()
    body = {"id_type": "resident_id", "id_number": "330106198506122133", "name": "陈晓明"}
    on_register_as(client, resident, body)
    applied = client.post("/api/v1/applications", headers=resident, json=body)
    assert applied.status_code == 201, applied.text
    code = client.get(f"/api/v1/codes/{applied.json()['person_id']}", headers=resident)
    assert code.status_code == 200, code.text
    assert code.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", PUBLIC)
def test_public_documents_keep_their_own_caching__D2(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, path
    assert "no-store" not in response.headers.get("cache-control", "")


def test_pages_take_assets_from_fingerprinted_names_kept_a_year(
    client: TestClient, callers: Callers
) -> None:
    """The names change with any file's content, so a phone keeps them without asking again."""
    page = client.get("/", headers=callers.resident())
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert assets
    assert all(asset.startswith(f"/static/{fingerprint()}/") for asset in assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = client.get("/static/css/app.css")  # the plain name is asked about again each time
    assert plain.headers["cache-control"] == "no-cache"
    assert plain.headers["etag"]


def test_the_trust_list_says_how_long_it_may_be_cached__D2(client: TestClient) -> None:
    response = client.get("/.well-known/healthcode/trust-list")
    assert response.headers["cache-control"].startswith("public, max-age=")


def test_strict_transport_security_only_over_tls__D2(runtime: Runtime) -> None:
    app = create_app(runtime.settings, runtime)
    with TestClient(app, base_url="https://testserver") as over_tls:
        assert over_tls.get("/healthz").headers["strict-transport-security"].startswith("max-age=")
    with TestClient(app, base_url="http://testserver") as plain:
        assert "strict-transport-security" not in plain.get("/healthz").headers


def test_metrics_need_the_scrape_credential__D2(client: TestClient) -> None:
    assert client.get("/metrics", headers=SCRAPER).status_code == 200
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "metrics_credential_required"
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    assert "healthcode_codes" not in wrong.text


def test_metrics_are_not_served_without_a_configured_credential__D2(runtime: Runtime) -> None:
    assert runtime.settings.metrics_token is None
    with TestClient(create_app(runtime.settings, runtime)) as client:
        response = client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 404
    assert "healthcode_codes" not in response.text

"""What a newcomer meets first (issue #14 items 2 and 4): an unknown address, the API explorer
offline, and the language asked for kept through the sign-in redirect."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from web.test_console import PAGE
from web_builders import Callers, RouteCase, assert_access

ROUTES = [RouteCase("GET", "/api/docs", None)]


def test_anyone_may_open_the_api_explorer__D2(access_callers: Callers) -> None:
    assert_access(access_callers, ROUTES[0])


@pytest.mark.parametrize(
    ("lang", "heading", "other"),
    [("zh", "找不到该页面", "Page not found"), ("en", "Page not found", "找不到该页面")],
)
def test_an_unknown_address_in_a_browser_is_a_page_in_the_readers_language(
    client: TestClient, lang: str, heading: str, other: str
) -> None:
    answer = client.get(f"/no-such-page?lang={lang}", headers=PAGE)

    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert f"<h1>{heading}</h1>" in answer.text
    assert other not in answer.text  # one language on a page, not both


def test_an_unknown_console_address_leads_back_to_the_console(client: TestClient) -> None:
    answer = client.get("/console/no-such-page", headers=PAGE)

    assert answer.status_code == 404
    assert 'href="/console"' in answer.text


@pytest.mark.parametrize("path", ["/no-such-page", "/api/v1/no-such-route"])
def test_an_api_client_still_gets_the_error_shape_of_spec_4(client: TestClient, path: str) -> None:
    as_api = client.get(path, headers={"Accept": "application/json"})
    as_browser_under_api = client.get("/api/v1/no-such-route", headers=PAGE)

    assert as_api.status_code == 404
    assert as_api.json() == {"error": {"code": "not_found", "message": "找不到该资源。"}}
    assert as_browser_under_api.json()["error"]["code"] == "not_found"


def test_the_api_explorer_loads_nothing_from_another_origin(client: TestClient) -> None:
    answer = client.get("/api/docs", headers=PAGE)

    assert answer.status_code == 200
    assert "content-security-policy" in answer.headers  # no exemption: nothing runs inline
    assert "<script>" not in answer.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', answer.text)
    assert len(assets) >= 3  # the stylesheet, the bundle, the script that starts it
    assert all(asset.startswith("/") for asset in assets), assets
    for asset in assets:  # each one is served by us (vendored by `make install`)
        assert client.get(asset).status_code == 200, asset


@pytest.mark.parametrize("path", ["/", "/console"])
def test_the_language_asked_for_is_kept_through_the_sign_in_redirect(
    client: TestClient, path: str
) -> None:
    sent = client.get(f"{path}?lang=en", headers=PAGE, follow_redirects=False)
    signed_out = client.get(sent.headers["location"], headers=PAGE)

    assert sent.status_code == 303
    assert sent.headers["location"].endswith(f"?next={path}&lang=en")
    assert '<html lang="en">' in signed_out.text
    assert signed_out.cookies.get("lang") == "en"  # the next pages stay in English


def test_the_language_switch_keeps_where_the_sign_in_leads(client: TestClient) -> None:
    shown = client.get("/console/sign-in?next=/console/rules", headers=PAGE)

    assert 'href="?next=%2Fconsole%2Frules&amp;lang=en"' in shown.text

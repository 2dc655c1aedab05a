"""The checkpoint page: checkpoint staff only; it carries the trust list and its root key so the
browser verifies codes offline, and no personal data."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from healthcode.domain.roles import Role
from web_builders import Callers, RouteCase, assert_access

ROUTES = [RouteCase("GET", "/checkpoint", frozenset({Role.CHECKPOINT}))]


@pytest.mark.parametrize("case", ROUTES, ids=lambda case: f"{case.method} {case.path}")
def test_only_checkpoint_staff_open_the_checkpoint_page__D2(
    access_callers: Callers, case: RouteCase
) -> None:
    assert_access(access_callers, case)


def test_the_page_carries_the_signed_trust_list_and_its_root_key__S1(
    client: TestClient, callers: Callers
) -> None:
    page = client.get("/checkpoint", headers=callers.staff(Role.CHECKPOINT))
    assert page.status_code == 200
    assert 'id="trust-roots"' in page.text
    assert 'id="trust-list"' in page.text
    assert '"kty": "EC"' in page.text
    assert 'aria-live="assertive"' in page.text  # the answer is read out by screen readers


def test_a_signed_out_browser_is_sent_to_the_staff_sign_in__D2(client: TestClient) -> None:
    response = client.get("/checkpoint", headers={"Accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/sign-in?next=/checkpoint"

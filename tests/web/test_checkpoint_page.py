"""The checkpoint page: checkpoint staff only; it carries the trust list and its root key so the
browser verifies codes offline, and no personal data."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from builders import operator
from healthcode.domain.areas import RiskLevel
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.services.checkpoint.venues import register_venue
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


def test_the_page_starts_at_a_venue_that_checks_codes__S2(
    client: TestClient, callers: Callers
) -> None:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    with runtime.unit_of_work(operator("system-admin")) as uow:
        register_venue(uow, "a-airport", "萧山机场", Venue.AIRPORT, "330109", RiskLevel.LOW)
        register_venue(
            uow, "b-bus", "汽车南站", Venue.LONG_DISTANCE_BUS_STATION, "330102", RiskLevel.LOW
        )
    page = client.get("/checkpoint", headers=callers.staff(Role.CHECKPOINT)).text
    assert re.search(r'value="b-bus" data-checks="yes" selected', page)
    assert re.search(
        r'value="a-airport" data-checks="no">\s*萧山机场（机场，一般不查验健康码）', page
    )
    assert 'id="sign-out"' in page
    assert page.count("<h1") == 1

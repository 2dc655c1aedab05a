"""The resident's pages: my codes (self and family), apply, paper code, symptoms, appeal."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from healthcode.domain.roles import Role
from web_builders import Callers, Headers, RouteCase, assert_access, on_register_as

from .test_residents import (
    NOBODY,
    PARENT_ID,
    PARENT_NAME,
    SELF_ID,
    SELF_NAME,
    apply_parent,
    decoded,
    household,
)

RESIDENT = frozenset({Role.RESIDENT})
PAGES = ["/", "/apply", f"/paper/{NOBODY}", f"/symptoms/{NOBODY}", f"/appeal/{NOBODY}"]
ROUTES = [RouteCase("GET", path, RESIDENT) for path in PAGES]
HTML = {"Accept": "text/html"}


@pytest.mark.parametrize("case", ROUTES, ids=lambda case: case.path)
def test_only_residents_open_the_resident_pages__D2(
    access_callers: Callers, case: RouteCase
) -> None:
    assert_access(access_callers, case)


def page(client: TestClient, path: str, headers: Headers) -> str:
    response = client.get(path, headers=headers | HTML)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def test_signed_out_visitors_are_sent_to_sign_in__S3(client: TestClient) -> None:
    for path in PAGES:
        response = client.get(path, headers=HTML, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/sign-in?next={path}"


def test_home_shows_my_code_and_my_parent_s_masked__S3(
    client: TestClient, callers: Callers
) -> None:
    headers, own, parent = household(client, callers)
    html = page(client, "/", headers)
    assert re.findall(r'data-person-id="([^"]+)"', html) == [own, parent]
    assert re.findall(r'data-colour="([^"]+)"', html) == ["green", "green"]
    for secret in (SELF_NAME, PARENT_NAME, SELF_ID, PARENT_ID):
        assert secret not in html
    # The phone draws each QR from its token (static/resident/qr.js): no image is sent.
    tokens = re.findall(r'<img class="qr-image" data-token="(HZ1:[^"]+)"', html)
    assert len(tokens) == 2
    assert "data:image/png" not in html
    assert "data-clock" in html
    assert "data-countdown" in html
    assert "为什么是这个颜色" in html
    assert "绿码：可自由进出公共场所" in html
    assert f'href="/paper/{parent}"' in html
    assert f'data-unbind="{parent}"' in html
    assert f'data-unbind="{own}"' not in html  # the holder cannot unbind themselves


def test_home_reads_english_on_request__A8(client: TestClient, callers: Callers) -> None:
    headers, _, _ = household(client, callers)
    html = page(client, "/?lang=en", headers)
    assert 'lang="en"' in html
    assert "My health codes" in html
    assert "Green code" in html
    assert "Parent" in html


def test_the_international_version_opens_in_english__A8(
    client: TestClient, callers: Callers
) -> None:
    headers = callers.resident()
    body = {"id_type": "passport", "id_number": "E12345678", "name": "Marie Curie"}
    on_register_as(client, headers, body)
    assert client.post("/api/v1/applications", json=body, headers=headers).status_code == 201
    first = client.get("/", headers=headers | HTML, follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/?lang=en"
    html = page(client, "/?lang=en", headers)
    assert "International version" in html
    assert "Marie Curie" not in html


def test_home_without_codes_offers_to_apply__A1(client: TestClient, callers: Callers) -> None:
    html = page(client, "/", callers.resident())
    assert 'href="/apply"' in html
    assert "data-person-id" not in html


def test_paper_code_is_printable__S4(client: TestClient, callers: Callers) -> None:
    headers, _, parent = household(client, callers)
    html = page(client, f"/paper/{parent}", headers)
    (source, token) = re.findall(r'src="(data:image/png;base64,[^"]+)" data-token="([^"]+)"', html)[
        0
    ]
    assert decoded(source) == token
    assert "有效期至" in html
    assert "签发机构" in html
    assert "data-print" in html
    assert PARENT_NAME not in html
    assert PARENT_ID not in html


def test_symptoms_and_appeal_pages_explain_and_stay_honest__S6(
    client: TestClient, callers: Callers
) -> None:
    headers, own, _ = household(client, callers)
    symptoms = page(client, f"/symptoms/{own}", headers)
    assert 'id="symptom-fever"' in symptoms
    assert "发热" in symptoms
    appeal = page(client, f"/appeal/{own}", headers)
    assert 'href="tel:12345"' in appeal
    assert '<option value="missing_test_result">核酸结果未更新</option>' in appeal
    assert 'id="text"' in appeal
    assert "暂无申诉" in appeal


def test_the_answer_to_an_appeal_shows_on_the_appeal_page_and_the_code_card__S6(
    client: TestClient, callers: Callers
) -> None:
    headers, own, _ = household(client, callers)
    body = {"category": "wrong_colour", "text": "我没有症状"}
    filed = client.post(f"/api/v1/codes/{own}/appeal", json=body, headers=headers).json()
    before = page(client, f"/appeal/{own}?filed={filed['appeal']}", headers)
    assert f'data-appeal-id="{filed["appeal"]}" data-status="open"' in before
    assert "申诉已提交" in before
    assert "申诉已答复" not in page(client, "/", headers)
    handler = callers.staff(Role.LOCAL_HANDLER, region="330106")
    answer = {"text": "经核查，您的健康码为绿码。"}
    path = f"/api/v1/appeals/{filed['appeal']}/answer"
    assert client.post(path, json=answer, headers=handler).status_code == 200
    after = page(client, f"/appeal/{own}", headers)
    assert f'data-appeal-id="{filed["appeal"]}" data-status="answered"' in after
    assert "说明：经核查，您的健康码为绿码。" in after
    assert f'href="/appeal/{own}#appeals">申诉已答复' in page(client, "/", headers)
    english = page(client, f"/appeal/{own}?lang=en", headers)
    assert "has been answered" in english


def test_another_resident_s_person_is_not_found_on_pages__D2(
    client: TestClient, callers: Callers
) -> None:
    _, own, parent = household(client, callers)
    stranger = callers.resident()
    for path in (f"/paper/{own}", f"/symptoms/{parent}", f"/appeal/{parent}"):
        response = client.get(path, headers=stranger | HTML)
        assert response.status_code == 404
        assert "data-token" not in response.text
        assert "data-person-id" not in response.text


class Controls(HTMLParser):
    """Form controls and whether each has a label: `<label for=…>` or a wrapping `<label>`."""

    def __init__(self) -> None:
        super().__init__()
        self.inside_label = 0
        self.label_for: set[str] = set()
        self.controls: list[tuple[str | None, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "label":
            self.inside_label += 1
            if found.get("for"):
                self.label_for.add(str(found["for"]))
        elif tag in {"input", "select", "textarea"} and found.get("type") != "hidden":
            self.controls.append((found.get("id"), self.inside_label > 0))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.inside_label -= 1

    def unlabelled(self) -> list[str | None]:
        return [id_ for id_, wrapped in self.controls if not wrapped and id_ not in self.label_for]


def test_every_control_has_a_label__S3(client: TestClient, callers: Callers) -> None:
    headers, own, _ = household(client, callers)
    for path in ("/apply", f"/symptoms/{own}", f"/appeal/{own}", "/"):
        controls = Controls()
        controls.feed(page(client, path, headers))
        assert controls.unlabelled() == [], path
    assert 'data-toggle="large-text"' in page(client, "/", headers)


def test_apply_page_asks_for_consent_for_family__S3(client: TestClient, callers: Callers) -> None:
    html = page(client, "/apply", callers.resident())
    assert 'id="consent"' in html
    assert "同意" in html
    assert '<option value="parent">父母</option>' in html


def test_unbound_family_member_leaves_the_home_page__S3(
    client: TestClient, callers: Callers
) -> None:
    headers, _, parent = household(client, callers)
    client.delete(f"/api/v1/me/people/{parent}", headers=headers)
    assert parent not in page(client, "/", headers)
    assert apply_parent(client, headers).status_code == 201
    assert parent in page(client, "/", headers)

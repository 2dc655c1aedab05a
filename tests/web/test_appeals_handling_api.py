"""Handling an appeal through the API (S6): a fact read as the exchange format reads it, a
retraction with its reason, a rejection, and an override that only a second person approves."""

from __future__ import annotations

from fastapi.testclient import TestClient

from builders import ManualClock
from healthcode.domain.roles import Role
from web_builders import Callers

from .test_appeals_api import NEGATIVE, OVERRIDE, XIHU, file_call, ok, send, yellow_resident


def test_a_wrong_fact_is_refused_with_its_field__S6(client: TestClient, callers: Callers) -> None:
    appeal = file_call(client, callers)["appeal"]
    handler = callers.staff(Role.LOCAL_HANDLER, region=XIHU)
    path = f"/api/v1/appeals/{appeal}/facts"
    wrong = NEGATIVE | {"payload": NEGATIVE["payload"] | {"result": "maybe"}}
    refused = send(client, "POST", path, handler, wrong)
    assert refused.status_code == 422
    assert refused.json()["error"] == {
        "code": "invalid_fact",
        "message": "补录的事实有误，请检查后重试。",
        "field": "payload.result",
    }
    green = {
        "type": "designation",
        "payload": {"action": "start", "color": "green", "authority": "指挥部"},
    }
    by_hand = send(client, "POST", path, handler, green | {"occurred_at": NEGATIVE["occurred_at"]})
    assert (by_hand.status_code, by_hand.json()["error"]["code"]) == (422, "invalid_fact")


def test_rejected_with_a_reason_and_then_closed__S6(client: TestClient, callers: Callers) -> None:
    appeal = file_call(client, callers, category="wrong_colour")["appeal"]
    handler = callers.staff(Role.LOCAL_HANDLER, region=XIHU)
    path = f"/api/v1/appeals/{appeal}"
    blank = send(client, "POST", f"{path}/rejection", handler, {"reason": "  "})
    assert (blank.status_code, blank.json()["error"]["code"]) == (422, "reason_required")
    reason = {"reason": "核查无误：症状为本人申报"}
    assert ok(send(client, "POST", f"{path}/rejection", handler, reason))["status"] == "rejected"
    closed = send(client, "POST", f"{path}/facts", handler, NEGATIVE)
    assert (closed.status_code, closed.json()["error"]["code"]) == (409, "closed")
    answered = ok(send(client, "POST", f"{path}/answer", handler, {"text": "如有新情况请再联系。"}))
    assert "未予支持" in answered["answer"]["zh"]
    assert "核查无误" in answered["answer"]["zh"]


def test_an_override_needs_a_second_person__S6(
    client: TestClient, callers: Callers, clock: ManualClock
) -> None:
    resident, own = yellow_resident(client, callers, clock)
    appeal = file_call(client, callers, category="wrong_colour")["appeal"]
    asker = callers.staff(Role.LOCAL_HANDLER, region=XIHU)
    path = f"/api/v1/appeals/{appeal}/override"
    too_long = OVERRIDE | {"expires_at": "2021-05-01T12:00:00+08:00"}
    assert send(client, "POST", path, asker, too_long).status_code == 422
    asked = ok(send(client, "POST", path, asker, OVERRIDE), 201)
    assert (asked["colour"], asked["approved_by"]) == ("green", None)
    by_asker = send(client, "POST", f"{path}/approval", asker)
    assert (by_asker.status_code, by_asker.json()["error"]["code"]) == (409, "same_person")
    assert ok(send(client, "GET", f"/api/v1/codes/{own}", resident))["colour"] == "yellow"
    second = callers.staff(Role.LOCAL_HANDLER, region=XIHU)
    approved = ok(send(client, "POST", f"{path}/approval", second))
    assert (approved["colour_before"], approved["colour_after"]) == ("yellow", "green")
    assert ok(send(client, "GET", f"/api/v1/codes/{own}", resident))["colour"] == "green"


def test_a_wrong_fact_is_retracted_with_its_reason__S6(
    client: TestClient, callers: Callers, clock: ManualClock
) -> None:
    resident, own = yellow_resident(client, callers, clock)
    appeal = file_call(client, callers)["appeal"]
    handler = callers.staff(Role.LOCAL_HANDLER, region=XIHU)
    path = f"/api/v1/appeals/{appeal}"
    added = ok(send(client, "POST", f"{path}/facts", handler, NEGATIVE))
    unknown = {"event_id": "no-such-fact", "reason": "错录"}
    missing = send(client, "POST", f"{path}/retractions", handler, unknown)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "fact_not_found")
    wrong = {"event_id": added["event_id"], "reason": "检测报告属于他人，录入有误"}
    retracted = ok(send(client, "POST", f"{path}/retractions", handler, wrong))
    assert (retracted["colour_before"], retracted["colour_after"]) == ("green", "yellow")
    assert retracted["event_id"] == f"appeal-{appeal}-fact-2"
    assert ok(send(client, "GET", f"/api/v1/codes/{own}", resident))["colour"] == "yellow"
    view = ok(send(client, "GET", path, handler))
    kinds = [event["kind"] for event in view["events"]]
    assert kinds[-2:] == ["fact_added", "fact_retracted"]


def test_a_rule_approver_may_be_the_second_person__S6(
    client: TestClient, callers: Callers, clock: ManualClock
) -> None:
    yellow_resident(client, callers, clock)
    appeal = file_call(client, callers, category="wrong_colour")["appeal"]
    path = f"/api/v1/appeals/{appeal}/override"
    ok(send(client, "POST", path, callers.staff(Role.LOCAL_HANDLER, region=XIHU), OVERRIDE), 201)
    approver = callers.staff(Role.RULE_APPROVER)
    assert ok(send(client, "POST", f"{path}/approval", approver))["colour_after"] == "green"
    again = send(client, "POST", f"{path}/approval", approver)
    assert (again.status_code, again.json()["error"]["code"]) == (404, "no_pending_override")

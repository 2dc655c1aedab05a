"""The appeals console (S6): who opens each page, the 12345 desk and the local queue, one appeal
with its timeline and the actions its reader may take, and the oversight figures."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from builders import ManualClock, fact, march, operator, resident_id
from healthcode.db.schema import audit_log
from healthcode.domain.appeals import AppealCategory, Language
from healthcode.domain.facts import Person, Source, Symptom, Symptoms, SymptomsAction
from healthcode.domain.identity import IdType
from healthcode.domain.roles import Role
from healthcode.services.appeals.filing import FiledAppeal, file_appeal_by_call
from healthcode.services.facts import record_facts
from healthcode.services.runtime import Runtime
from healthcode.web.pages.console_layout import (
    APPEAL_DESK_ROLES,
    APPEAL_OVERSIGHT_ROLES,
    APPEAL_READER_ROLES,
)
from web_builders import Callers, Headers, RouteCase, assert_access

PAGE = {"Accept": "text/html"}
XIHU = "330106"
ROUTES = [
    RouteCase("GET", "/console/appeals", frozenset(APPEAL_DESK_ROLES)),
    RouteCase("GET", "/console/appeals/1", frozenset(APPEAL_READER_ROLES)),
    RouteCase("GET", "/console/appeals/oversight", frozenset(APPEAL_OVERSIGHT_ROLES)),
]


@pytest.mark.parametrize("case", ROUTES, ids=lambda case: f"{case.method} {case.path}")
def test_who_may_open_each_appeals_page__S6(access_callers: Callers, case: RouteCase) -> None:
    assert_access(access_callers, case)


def resident(seq: int, region: str = XIHU) -> Person:
    return Person(IdType.RESIDENT_ID, resident_id(region=region, seq=f"{seq:03d}"), name="陈晓明")


def yellow_call(
    runtime: Runtime,
    who: Person,
    category: AppealCategory = AppealCategory.MISSING_TEST_RESULT,
) -> FiledAppeal:
    """A fever self-report makes the code yellow; the person then calls 12345 about it."""
    report = Symptoms(SymptomsAction.REPORT, (Symptom.FEVER,))
    with runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [fact(report, march(19), who, Source.RESIDENT)])
    with runtime.unit_of_work(operator("hotline-operator", "appeal intake")) as uow:
        return file_appeal_by_call(
            uow, who.key, "13912340001", category, "我做了核酸，结果没有更新。", Language.ZH
        )


def page(callers: Callers, path: str, headers: Headers) -> str:
    answer = callers.client.get(path, headers={**headers, **PAGE})
    assert answer.status_code == 200, answer.text
    return answer.text


def audit_actions(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.engine.connect() as connection:
        rows = connection.execute(select(audit_log.c.action, audit_log.c.outcome))
        return [(row.action, row.outcome) for row in rows]


def test_the_operator_gets_the_intake_and_look_up_forms__S6(callers: Callers) -> None:
    desk = page(callers, "/console/appeals", callers.staff(Role.HOTLINE_OPERATOR))
    queue = page(callers, "/console/appeals", callers.staff(Role.LOCAL_HANDLER, region=XIHU))

    for element in ("intake-form", "intake-id-number", "intake-phone", "intake-category"):
        assert f'id="{element}"' in desk
    assert 'id="lookup-form"' in desk
    assert 'value="missing_test_result"' in desk
    assert 'id="intake-form"' not in queue
    assert 'id="queue"' in queue


def test_the_handler_sees_its_countys_queue_due_first_overdue_marked__S6(
    callers: Callers, runtime: Runtime, clock: ManualClock
) -> None:
    first = yellow_call(runtime, resident(1))
    clock.instant += timedelta(hours=1)
    second = yellow_call(runtime, resident(2), AppealCategory.WRONG_COLOUR)
    elsewhere = yellow_call(runtime, resident(3, region="330102"))
    clock.instant += timedelta(hours=30)  # past every county time limit

    shown = page(callers, "/console/appeals", callers.staff(Role.LOCAL_HANDLER, region=XIHU))

    listed = re.findall(r'<tr data-appeal="(\d+)" data-overdue="(\w+)"', shown)
    assert [int(number) for number, _ in listed] == [first.appeal_id, second.appeal_id]
    assert {overdue for _, overdue in listed} == {"true"}
    assert f'data-appeal="{elsewhere.appeal_id}"' not in shown
    assert 'data-tier="county"' in shown
    assert "杭州市西湖区" in shown
    assert resident(1).id_number not in shown  # masked on screen (D2)
    assert "陈晓明" not in shown


def test_the_appeal_shows_the_record_and_the_handlers_actions__S6(
    callers: Callers, runtime: Runtime
) -> None:
    filed = yellow_call(runtime, resident(1))
    path = f"/console/appeals/{filed.appeal_id}"

    handler = page(callers, path, callers.staff(Role.LOCAL_HANDLER, region=XIHU))

    assert 'data-category="missing_test_result"' in handler
    assert 'id="snapshot-colour" data-colour="yellow"' in handler
    assert "我做了核酸，结果没有更新。" in handler
    assert re.findall(r'<tr data-kind="(\w+)"', handler) == ["filed", "routed"]
    for form in ("test-form", "fact-form", "retract-form", "reject-form", "override-form"):
        assert f'id="{form}"' in handler
    assert 'id="answer-form"' in handler
    assert resident(1).id_number not in handler
    assert "陈晓明" not in handler
    assert "139****0001" in handler
    assert "13912340001" not in handler
    assert ("appeal.read", "ok") in audit_actions(runtime)


def test_the_operator_reads_the_same_record_without_the_handlers_forms__S6(
    callers: Callers, runtime: Runtime
) -> None:
    filed = yellow_call(runtime, resident(1))
    path = f"/console/appeals/{filed.appeal_id}"

    hotline = callers.staff(Role.HOTLINE_OPERATOR)
    shown = page(callers, path, hotline)
    english = page(callers, f"{path}?lang=en", hotline)
    approver = page(callers, path, callers.staff(Role.RULE_APPROVER))

    assert 'id="timeline"' in shown
    assert 'id="test-form"' not in shown
    assert 'id="answer-form"' in shown  # the hotline may send the one answer
    assert 'id="appeal-actions"' not in approver  # nothing to approve yet
    assert "Timeline" in english
    assert "Missing test result" in english


def test_a_handler_of_another_county_gets_not_found__S6(callers: Callers, runtime: Runtime) -> None:
    filed = yellow_call(runtime, resident(1))
    other = callers.staff(Role.LOCAL_HANDLER, region="330102")

    shown = callers.client.get(f"/console/appeals/{filed.appeal_id}", headers={**other, **PAGE})
    missing = callers.client.get("/console/appeals/999", headers={**other, **PAGE})

    assert shown.status_code == 404
    assert missing.status_code == 404
    assert ("appeal.read", "not_found") in audit_actions(runtime)


def test_an_override_is_offered_for_approval_to_a_second_person_only__S6(
    callers: Callers, runtime: Runtime
) -> None:
    filed = yellow_call(runtime, resident(1))
    asking = callers.staff(Role.LOCAL_HANDLER, region=XIHU)
    body = {
        "colour": "green",
        "authority": "西湖区防控办",
        "expires_at": march(25).isoformat(),
    }
    asked = callers.client.post(
        f"/api/v1/appeals/{filed.appeal_id}/override", json=body, headers=asking
    )
    assert asked.status_code == 201, asked.text
    path = f"/console/appeals/{filed.appeal_id}"

    by_asker = page(callers, path, asking)
    by_second = page(callers, path, callers.staff(Role.LOCAL_HANDLER, region=XIHU))
    by_approver = page(callers, path, callers.staff(Role.RULE_APPROVER))

    assert 'id="approve-override"' not in by_asker
    assert 'id="override-note"' in by_asker
    assert 'id="approve-override"' in by_second
    assert 'id="approve-override"' in by_approver
    assert 'data-approved="false"' in by_second
    assert re.findall(r'<tr data-kind="(\w+)"', by_second)[-1] == "override_requested"


def test_after_the_answer_the_page_shows_it_and_offers_no_more_steps__S6(
    callers: Callers, runtime: Runtime
) -> None:
    filed = yellow_call(runtime, resident(1))
    handler = callers.staff(Role.LOCAL_HANDLER, region=XIHU)
    test = {
        "type": "test",
        "payload": {
            "kind": "nucleic_acid",
            "result": "negative",
            "sampled_at": march(20, 8).isoformat(),
        },
        "occurred_at": march(20, 11).isoformat(),
    }
    base = f"/api/v1/appeals/{filed.appeal_id}"
    corrected = callers.client.post(f"{base}/facts", json=test, headers=handler)
    assert corrected.status_code == 200, corrected.text
    answered = callers.client.post(f"{base}/answer", json={"text": "已补录"}, headers=handler)
    assert answered.status_code == 200, answered.text

    shown = page(callers, f"/console/appeals/{filed.appeal_id}", handler)

    assert 'id="appeal-answer"' in shown
    assert "健康码已由黄码变为绿码" in shown
    assert 'id="colour-now" data-colour="green"' in shown
    assert 'id="appeal-actions"' not in shown
    kinds = re.findall(r'<tr data-kind="(\w+)"', shown)
    assert kinds[:2] == ["filed", "routed"]
    assert "fact_added" in kinds
    assert "answered" in kinds


def test_the_oversight_page_charts_figures_and_lists_misuse_apart__S6(
    callers: Callers, runtime: Runtime
) -> None:
    yellow_call(runtime, resident(1))
    yellow_call(runtime, resident(2), AppealCategory.MISUSE)

    shown = page(callers, "/console/appeals/oversight?days=7", callers.staff(Role.AUDITOR))
    english = page(callers, "/console/appeals/oversight?lang=en", callers.staff(Role.AUDITOR))

    assert '<svg id="chart-appeals" class="chart" role="img"' in shown
    assert 'id="table-appeal-regions"' in shown
    rows = shown.split('id="table-misuse"')
    assert 'data-category="missing_test_result"' in rows[0]
    assert 'data-category="misuse"' not in rows[0]
    assert 'data-category="misuse"' in rows[1]
    assert "Appeal oversight" in english


def test_the_navigation_offers_appeals_to_their_roles_only__S6(callers: Callers) -> None:
    operator_home = page(callers, "/console", callers.staff(Role.HOTLINE_OPERATOR))
    auditor_home = page(callers, "/console", callers.staff(Role.AUDITOR))
    checkpoint_home = page(callers, "/console", callers.staff(Role.CHECKPOINT))

    assert 'id="link-appeals"' in operator_home
    assert 'id="link-appeals-oversight"' in operator_home
    assert 'id="link-appeals"' not in auditor_home
    assert 'id="link-appeals-oversight"' in auditor_home
    assert 'id="nav-appeals' not in checkpoint_home

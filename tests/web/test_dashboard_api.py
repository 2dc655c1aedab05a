"""`GET /api/v1/dashboard`: counts by colour, region and day from the tallies; no person (D2)."""

from __future__ import annotations

import pytest

from builders import ManualClock, fact, march, operator, resident_id
from healthcode.domain.facts import Diagnosis, DiagnosisStatus, Payload, Person, Vaccination
from healthcode.domain.identity import IdType
from healthcode.domain.roles import Role
from healthcode.services.facts import record_facts
from healthcode.services.runtime import Runtime
from healthcode.web.routes.dashboard import DASHBOARD_ROLES
from web_builders import Callers, RouteCase, assert_access

ROUTES = [RouteCase("GET", "/api/v1/dashboard", frozenset(DASHBOARD_ROLES))]
XIHU, YINZHOU = "330106", "330212"  # 杭州市西湖区, 宁波市鄞州区


@pytest.mark.parametrize("case", ROUTES, ids=lambda case: f"{case.method} {case.path}")
def test_who_may_read_the_dashboard__D2(access_callers: Callers, case: RouteCase) -> None:
    assert_access(access_callers, case)


def people(region: str, first: int, count: int) -> list[Person]:
    return [
        Person(IdType.RESIDENT_ID, resident_id(region, seq=f"{number:03d}"))
        for number in range(first, first + count)
    ]


def record(runtime: Runtime, who: list[Person], payload: Payload) -> None:
    with runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [fact(payload, runtime.clock.now(), person) for person in who])


@pytest.fixture
def population(runtime: Runtime, clock: ManualClock) -> dict[str, list[Person]]:
    """West Lake (Hangzhou): 6 green, 1 red. Yinzhou (Ningbo): 2 green, 5 red."""
    green = Vaccination(1, "灭活疫苗")
    red = Diagnosis(DiagnosisStatus.CONFIRMED)
    groups = {
        "xihu_green": people(XIHU, 1, 6),
        "xihu_red": people(XIHU, 7, 1),
        "yinzhou_green": people(YINZHOU, 1, 2),
        "yinzhou_red": people(YINZHOU, 3, 5),
    }
    clock.instant = march(19)
    for name, who in groups.items():
        record(runtime, who, green if name.endswith("green") else red)
    return groups


def test_counts_by_colour_region_and_day_hide_small_cells__D2(
    callers: Callers, population: dict[str, list[Person]]
) -> None:
    board = callers.client.get("/api/v1/dashboard", headers=callers.staff(Role.RULE_APPROVER))

    assert board.status_code == 200, board.text
    shown = board.json()
    regions = {row["code"]: row for row in shown["by_region"]}
    assert regions["3301"]["name"] == "杭州市"
    assert regions["3301"]["counts"] == {"green": 6, "yellow": 0, "red": "<5"}
    assert regions["3302"]["counts"] == {"green": "<5", "yellow": 0, "red": 5}
    # One hidden cell per colour: an exact total would give it away by subtraction.
    assert shown["by_colour"] == {"green": "7–10", "yellow": 0, "red": "6–9"}
    days = {row["day"]: row for row in shown["moves_by_day"]}
    assert len(days) == 14
    assert shown["moves_by_day"][-1]["day"] == "2021-03-19"  # today, China time
    assert days["2021-03-19"]["new_codes"] == 14
    assert days["2021-03-19"]["to_red"] == 0


def test_moves_by_day_count_codes_that_changed_colour__M1(
    callers: Callers, runtime: Runtime, clock: ManualClock, population: dict[str, list[Person]]
) -> None:
    clock.instant = march(20, 9)
    record(runtime, population["xihu_green"][:5], Diagnosis(DiagnosisStatus.CONFIRMED))

    board = callers.client.get(
        "/api/v1/dashboard?days=2", headers=callers.staff(Role.SYSTEM_ADMIN)
    ).json()

    assert [row["day"] for row in board["moves_by_day"]] == ["2021-03-19", "2021-03-20"]
    assert board["moves_by_day"][1] == {
        "day": "2021-03-20",
        "new_codes": 0,
        "to_green": 0,
        "to_yellow": 0,
        "to_red": 5,
    }
    assert board["by_colour"]["red"] == 11


def test_a_local_handler_sees_only_their_region__D2(
    callers: Callers, population: dict[str, list[Person]]
) -> None:
    handler = callers.staff(Role.LOCAL_HANDLER, region=XIHU)

    board = callers.client.get("/api/v1/dashboard", headers=handler).json()

    assert board["scope"] == XIHU
    assert [row["code"] for row in board["by_region"]] == [XIHU]
    assert board["by_region"][0]["name"] == "杭州市西湖区"
    assert board["by_colour"] == {"green": 6, "yellow": 0, "red": "<5"}
    assert board["moves_by_day"][-1]["new_codes"] == 7  # West Lake's codes only


def test_the_dashboard_names_no_one_and_its_reading_is_audited__D2(
    callers: Callers, runtime: Runtime, population: dict[str, list[Person]]
) -> None:
    text = callers.client.get("/api/v1/dashboard", headers=callers.staff(Role.AUDITOR)).text

    for who in population.values():
        for person in who:
            assert person.id_number not in text
    auditor = callers.staff(Role.AUDITOR)
    log = callers.client.get("/api/v1/audit?action=dashboard.read", headers=auditor).json()
    assert log["entries"][0]["object"] == "province"


def test_days_out_of_range_are_refused_with_the_field__D2(callers: Callers) -> None:
    answer = callers.client.get("/api/v1/dashboard?days=0", headers=callers.staff(Role.AUDITOR))

    assert answer.status_code == 422
    assert answer.json()["error"] == {
        "code": "invalid_input",
        "message": "输入有误，请检查后重试。",
        "field": "days",
    }

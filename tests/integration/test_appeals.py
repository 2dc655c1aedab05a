"""Appeals through the 12345 hotline (S6), on SQLite and PostgreSQL with a hand-moved clock."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select

from builders import ManualClock, fact, march, on_register, operator, refusal_of, resident_id
from healthcode.db.accounts_store import ResidentStore
from healthcode.db.schema import outbox_messages
from healthcode.domain.appeals import AppealCategory, AppealEventKind, AppealFact, Language, Tier
from healthcode.domain.facts import (
    Person,
    PersonKey,
    Source,
    Symptom,
    Symptoms,
    SymptomsAction,
    Test,
    TestKind,
    TestResult,
)
from healthcode.domain.identity import IdType
from healthcode.services.appeals.answers import Answer, answer_appeal
from healthcode.services.appeals.filing import (
    FiledAppeal,
    file_appeal_by_call,
    file_appeal_from_code_page,
)
from healthcode.services.appeals.handling import (
    Correction,
    approve_override,
    correct_with_fact,
    reject_appeal,
    request_override,
)
from healthcode.services.appeals.reading import (
    appeal_for,
    appeals_for_handler,
    appeals_for_resident,
    find_by_person,
)
from healthcode.services.appeals.refusals import (
    CLOSED,
    NOT_FOUND,
    REASON_REQUIRED,
    SAME_PERSON,
)
from healthcode.services.facts import record_facts
from healthcode.services.households.binding import apply_for_account
from healthcode.services.households.links import AccountApplication
from healthcode.services.messages import OutboxSender
from healthcode.services.principals import Principal
from healthcode.services.runtime import Runtime
from healthcode.services.scheduled_round import run_round
from healthcode.services.sign_in import staff_principal
from healthcode.services.status import code_status
from integration.test_privacy import database_bytes

XIHU = "330106"  # 杭州市西湖区
SHANGCHENG = "330102"  # 杭州市上城区
PHONE = "13912340001"
HANDLING = operator("local-handler", "appeal handling")
OPERATOR = staff_principal("s-op", "op", ("hotline-operator",), None)


def handler(name: str, region: str = XIHU) -> Principal:
    return staff_principal(f"s-{name}", name, ("local-handler",), region)


def resident(seq: int, region: str = XIHU) -> Person:
    return Person(IdType.RESIDENT_ID, resident_id(region=region, seq=f"{seq:03d}"))


def call(
    runtime: Runtime,
    who: Person,
    category: AppealCategory = AppealCategory.WRONG_COLOUR,
    disputed: str | None = None,
    text: str = "我没有症状，为什么是黄码？",
) -> FiledAppeal:
    with runtime.unit_of_work(operator("hotline-operator", "appeal intake")) as uow:
        return file_appeal_by_call(uow, who.key, PHONE, category, text, Language.ZH, disputed)


def yellow_for_symptoms(runtime: Runtime, who: Person) -> None:
    """A self-report of fever with no negative test sampled after it: yellow (A3, M4)."""
    report = fact(
        Symptoms(SymptomsAction.REPORT, (Symptom.FEVER,)), march(19), who, Source.RESIDENT
    )
    with runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [report])
    assert colour(runtime, who.key) == "yellow"


def colour(runtime: Runtime, key: PersonKey) -> str:
    with runtime.unit_of_work(operator("operator", "test")) as uow:
        found = code_status(uow, key)
    assert found is not None
    assert found.state is not None
    return found.state.colour


def own_account(runtime: Runtime, who: Person, account: str, phone: str) -> AccountApplication:
    """`who` signs up with the phone the register has for them and applies for themselves."""
    with runtime.unit_of_work(operator("resident", "apply")) as uow:
        ResidentStore(uow.connection, runtime.vault).add(account, phone, uow.now)
        on_register(uow, who, phone=phone)
        linked = apply_for_account(uow, account, who, member=None)
    assert isinstance(linked, AccountApplication)
    return linked


def negative_test() -> AppealFact:
    return AppealFact(Test(TestKind.NUCLEIC_ACID, TestResult.NEGATIVE, march(20, 8)), march(20, 11))


def test_routed_to_the_persons_county_or_the_disputed_facts_county__S6(runtime: Runtime) -> None:
    at_home = call(runtime, resident(1))
    disputed = call(runtime, resident(2), AppealCategory.WRONG_TRIP, disputed="330782001")
    outsider = call(runtime, resident(3, region="320102"))
    outsider_here = call(runtime, resident(4, region="320102"), disputed="330102")
    assert (at_home.route.region, at_home.route.tier) == (XIHU, Tier.COUNTY)
    assert at_home.due_at == march(21)  # wrong_colour: 24 h at the county
    assert (disputed.route.region, disputed.route.tier) == ("330782", Tier.COUNTY)
    assert disputed.due_at == march(22)  # wrong_trip: 48 h at the county
    assert (outsider.route.region, outsider.route.tier) == ("33", Tier.PROVINCE)
    assert outsider_here.route.region == SHANGCHENG


def test_an_open_appeal_is_merged_into_not_multiplied__S6(runtime: Runtime) -> None:
    first = call(runtime, resident(1))
    again = call(runtime, resident(1), text="又打一次电话")
    other = call(runtime, resident(1), AppealCategory.MISSING_TEST_RESULT)
    assert (again.merged, again.primary_id) == (True, first.appeal_id)
    assert (other.merged, other.primary_id) == (False, other.appeal_id)
    with runtime.unit_of_work(operator("local-handler", "appeal handling")) as uow:
        queue = appeals_for_handler(uow, handler("h1"))
        view = appeal_for(uow, handler("h1"), first.appeal_id)
    assert [item.appeal.id for item in queue] == [first.appeal_id, other.appeal_id]
    assert view is not None
    assert [filing.id for filing in view.merged] == [again.appeal_id]
    assert [event.kind for event in view.events] == [
        AppealEventKind.FILED,
        AppealEventKind.ROUTED,
        AppealEventKind.MERGED,
    ]


def test_escalates_county_city_province_on_a_frozen_clock__S6(
    runtime: Runtime, clock: ManualClock
) -> None:
    filed = call(runtime, resident(1))
    clock.instant = march(21, 12, 1)  # the county's 24 h have passed
    run_round(runtime)
    clock.instant = march(22, 0, 2)  # the city's 12 h have passed
    run_round(runtime)
    clock.instant = march(23)  # the province's too: it stays there, overdue
    run_round(runtime)
    with runtime.unit_of_work(operator("hotline-operator", "callback")) as uow:
        view = appeal_for(uow, OPERATOR, filed.appeal_id)
    assert view is not None
    assert (view.appeal.route.region, view.appeal.route.tier) == ("33", Tier.PROVINCE)
    assert (view.appeal.due_at, view.overdue) == (march(22, 12, 2), True)
    escalations = [e for e in view.events if e.kind is AppealEventKind.ESCALATED]
    assert [(e.at, e.detail) for e in escalations] == [
        (march(21, 12, 1), "county 330106 → city 3301"),
        (march(22, 0, 2), "city 3301 → province 33"),
    ]


def test_a_missing_negative_test_added_by_the_handler_turns_the_code_green__S6(
    runtime: Runtime,
) -> None:
    who = resident(1)
    yellow_for_symptoms(runtime, who)
    filed = call(runtime, who, AppealCategory.MISSING_TEST_RESULT)
    with runtime.unit_of_work(operator("local-handler", "appeal handling")) as uow:
        done = correct_with_fact(uow, handler("h1"), filed.appeal_id, negative_test())
    assert done == Correction(
        filed.appeal_id, f"appeal-{filed.appeal_id}-fact-1", "yellow", "green"
    )
    assert colour(runtime, who.key) == "green"


def test_rejected_with_a_reason__S6(runtime: Runtime) -> None:
    filed = call(runtime, resident(1))
    appeal = filed.appeal_id
    without = refusal_of(
        runtime, HANDLING, lambda uow: reject_appeal(uow, handler("h1"), appeal, " ")
    )
    with runtime.unit_of_work(HANDLING) as uow:
        reject_appeal(uow, handler("h1"), appeal, "核查无误：症状为本人申报")
    after = refusal_of(
        runtime,
        HANDLING,
        lambda uow: correct_with_fact(uow, handler("h1"), appeal, negative_test()),
    )
    with runtime.unit_of_work(HANDLING) as uow:
        view = appeal_for(uow, handler("h1"), appeal)
    assert (without, after) == (REASON_REQUIRED, CLOSED)
    assert view is not None
    assert view.appeal.status == "rejected"
    assert [e.detail for e in view.events if e.kind is AppealEventKind.REJECTED] == [
        "核查无误：症状为本人申报"
    ]


def test_an_override_needs_a_second_approver_and_lapses_at_its_expiry__S6(
    runtime: Runtime, clock: ManualClock
) -> None:
    who = resident(1)
    yellow_for_symptoms(runtime, who)
    filed = call(runtime, who)
    asker, other_county = handler("h1"), handler("h9", SHANGCHENG)
    with runtime.unit_of_work(HANDLING) as uow:
        request_override(uow, asker, filed.appeal_id, "green", "西湖区疫情防控指挥部", march(22))
    by_asker = refusal_of(
        runtime, HANDLING, lambda uow: approve_override(uow, asker, filed.appeal_id)
    )
    by_stranger = refusal_of(
        runtime, HANDLING, lambda uow: approve_override(uow, other_county, filed.appeal_id)
    )
    assert (by_asker, by_stranger) == (SAME_PERSON, NOT_FOUND)
    assert colour(runtime, who.key) == "yellow"  # nothing changes before approval
    with runtime.unit_of_work(operator("local-handler", "appeal handling")) as uow:
        approved = approve_override(uow, handler("h2"), filed.appeal_id)
    assert isinstance(approved, Correction)
    assert (approved.colour_before, approved.colour_after) == ("yellow", "green")
    clock.instant = march(22, 12, 1)
    run_round(runtime)  # the end fact is due: the code is reviewed then
    assert colour(runtime, who.key) == "yellow"


def test_the_answer_is_delivered_once__S6(runtime: Runtime) -> None:
    who = resident(1)
    yellow_for_symptoms(runtime, who)
    filed = call(runtime, who, AppealCategory.MISSING_TEST_RESULT)
    h1 = handler("h1")
    with runtime.unit_of_work(operator("local-handler", "appeal handling")) as uow:
        correct_with_fact(uow, h1, filed.appeal_id, negative_test())
        first = answer_appeal(
            uow, h1, filed.appeal_id, OutboxSender(), "已补录3月20日阴性核酸结果。"
        )
        second = answer_appeal(uow, h1, filed.appeal_id, OutboxSender(), "再答一次")
        sent = uow.connection.execute(select(func.count()).select_from(outbox_messages)).scalar()
    assert isinstance(first, Answer)
    assert isinstance(second, Answer)
    assert sent == 1
    assert (second.already, second.message) == (True, first.message)
    assert first.message.zh.startswith(f"【健康码】您的申诉（编号 {filed.appeal_id}）已办结。")
    assert "健康码已由黄码变为绿码。说明：已补录3月20日阴性核酸结果。" in first.message.zh
    assert "from yellow to green" in first.message.en
    assert first.sent_to == "139****0001"
    with runtime.unit_of_work(operator("hotline-operator", "callback")) as uow:
        found = find_by_person(uow, OPERATOR, who.key)
    assert [(v.appeal.id, v.appeal.status, v.answer and v.answer["zh"]) for v in found] == [
        (filed.appeal_id, "answered", first.message.zh)
    ]


def test_a_resident_appeals_from_the_code_page_and_reads_the_answer_there__S6(
    runtime: Runtime,
) -> None:
    who = replace(resident(1), name="王一")
    linked = own_account(runtime, who, "acc-1", "13912340002")
    yellow_for_symptoms(runtime, who)
    with runtime.unit_of_work(operator("resident", "appeal")) as uow:
        filed = file_appeal_from_code_page(
            uow,
            "acc-1",
            linked.person_id,
            AppealCategory.WRONG_COLOUR,
            "I have no fever",
            Language.EN,
        )
    stranger = refusal_of(
        runtime,
        operator("resident", "appeal"),
        lambda uow: file_appeal_from_code_page(
            uow, "acc-2", linked.person_id, AppealCategory.OTHER, "probe", Language.EN
        ),
    )
    assert isinstance(filed, FiledAppeal)
    assert stranger == NOT_FOUND
    with runtime.unit_of_work(operator("local-handler", "appeal handling")) as uow:
        view = appeal_for(uow, handler("h1"), filed.appeal_id)
        answer_appeal(uow, handler("h1"), filed.appeal_id, OutboxSender(), "Please take a test.")
    assert view is not None
    assert view.snapshot is not None
    assert (view.snapshot["colour"], view.snapshot["rules"]) == ("yellow", ["yellow-symptoms"])
    assert [f["type"] for f in view.snapshot["facts"]] == ["symptoms"]
    with runtime.unit_of_work(operator("resident", "appeal")) as uow:
        shown = appeals_for_resident(uow, "acc-1", linked.person_id)
    assert shown is not None
    assert shown[0].answer is not None
    assert shown[0].answer.en.endswith("Your code is yellow. Please take a test.")


def test_a_handler_of_another_county_is_refused__S6(runtime: Runtime) -> None:
    filed = call(runtime, resident(1))
    stranger, city = handler("h9", SHANGCHENG), handler("c1", "330100")
    with runtime.unit_of_work(HANDLING) as uow:
        seen = appeal_for(uow, stranger, filed.appeal_id)
        queue = appeals_for_handler(uow, stranger)
        by_city = appeal_for(uow, city, filed.appeal_id)
    corrected = refusal_of(
        runtime,
        HANDLING,
        lambda uow: correct_with_fact(uow, stranger, filed.appeal_id, negative_test()),
    )
    assert (seen, queue, corrected) == (None, [], NOT_FOUND)
    assert by_city is not None  # the city answers for its counties (分级负责)


def test_callback_phone_and_words_are_sealed__S6(runtime: Runtime, tmp_path: Path) -> None:
    words = "金丝雀申诉内容：核酸报告丢失"
    call(runtime, resident(1), text=words)
    stored = database_bytes(runtime, tmp_path)
    assert stored
    for needle in (PHONE, words):
        for encoding in ("utf-8", "utf-16-le", "gb18030"):
            assert needle.encode(encoding) not in stored


def test_repeat_calls_are_one_appeal_whose_answer_cites_every_number_given__S6(
    runtime: Runtime,
) -> None:
    """A resident appeals online, then calls three times: each call is told its own number; the
    resident page lists one appeal with the three calls merged into it, and the one answer cites
    every number, so a caller told the third one finds it."""
    who = replace(resident(2), name="李二")
    linked = own_account(runtime, who, "acc-3", "13912340003")
    with runtime.unit_of_work(operator("resident", "appeal")) as uow:
        online = file_appeal_from_code_page(
            uow, "acc-3", linked.person_id, AppealCategory.WRONG_COLOUR, "颜色不对", Language.ZH
        )
    assert isinstance(online, FiledAppeal)
    calls = [call(runtime, who, text=f"第{n}次来电") for n in (1, 2, 3)]
    assert {filed.primary_id for filed in calls} == {online.appeal_id}
    with runtime.unit_of_work(HANDLING) as uow:
        answer = answer_appeal(uow, handler("h1"), calls[2].appeal_id, OutboxSender(), "已核实。")
    numbers = [filed.appeal_id for filed in calls]
    assert f"编号 {online.appeal_id}，含合并的重复申诉 {'、'.join(map(str, numbers))}）" in (
        answer.message.zh
    )
    assert f"no. {online.appeal_id} (with repeat appeals no. {', '.join(map(str, numbers))})" in (
        answer.message.en
    )
    with runtime.unit_of_work(operator("resident", "appeal")) as uow:
        shown = appeals_for_resident(uow, "acc-3", linked.person_id)
    assert shown is not None
    assert [(a.appeal_id, a.repeats, a.answer) for a in shown] == [
        (online.appeal_id, tuple(numbers), answer.message)
    ]

"""Codes corrected through facts, stored and re-evaluated, on SQLite and PostgreSQL (S6)."""

from __future__ import annotations

from datetime import datetime

from builders import ManualClock, fact, march, nucleic_acid, operator, person
from healthcode.domain.corrections import GREEN_WITHOUT_END, RETRACTED_UNKNOWN
from healthcode.domain.facts import (
    Action,
    DesignatedColour,
    Designation,
    Fact,
    Person,
    Retraction,
    Source,
)
from healthcode.services.facts import RecordReport, record_facts
from healthcode.services.review import review_due
from healthcode.services.runtime import Runtime
from healthcode.services.status import code_status

AUTHORITY = "杭州市西湖区疫情防控指挥部"


def record(runtime: Runtime, *items: Fact) -> RecordReport:
    with runtime.unit_of_work(operator()) as uow:
        return record_facts(uow, list(items))


def state_of(runtime: Runtime, who: Person) -> tuple[str, datetime | None]:
    with runtime.unit_of_work(operator("operator", "test")) as uow:
        found = code_status(uow, who.key)
    assert found is not None
    assert found.state is not None
    return found.state.colour, found.state.next_review_at


def retraction(target: Fact, when: datetime, who: Person | None = None) -> Fact:
    return fact(Retraction(target.event_id, "样本登记错误"), when, who or target.person)


def green(action: str, when: datetime, who: Person) -> Fact:
    authority = AUTHORITY if action == "start" else None
    payload = Designation(Action(action), DesignatedColour.GREEN, "12345 申诉核查", authority)
    return fact(payload, when, who, source=Source.ADMIN)


def test_a_retracted_positive_test_turns_the_code_back__S6(runtime: Runtime) -> None:
    positive = nucleic_acid("positive", march(19, 8), known=march(19))
    record(runtime, positive)
    assert state_of(runtime, positive.person)[0] == "red"
    report = record(runtime, retraction(positive, march(20)))
    assert (report.accepted, report.conflicts) == (1, [])
    assert state_of(runtime, positive.person)[0] == "green"


def test_a_retraction_and_the_fact_it_names_may_come_together__S6(runtime: Runtime) -> None:
    positive = nucleic_acid("positive", march(19, 8), known=march(19))
    report = record(runtime, retraction(positive, march(20)), positive)
    assert (report.accepted, report.conflicts) == (2, [])
    assert state_of(runtime, positive.person)[0] == "green"


def test_a_retraction_of_another_persons_fact_or_of_nothing_is_refused__S6(
    runtime: Runtime,
) -> None:
    theirs = nucleic_acid("positive", march(19, 8), known=march(19))
    record(runtime, theirs)
    mine = retraction(theirs, march(20), who=person(2))
    nothing = fact(Retraction("no-such-fact", None), march(20))
    kept = nucleic_acid("negative", march(19, 8), known=march(19, 20))
    with runtime.unit_of_work(operator()) as uow:
        report = record_facts(uow, [mine, nothing, kept], ["line 1", "line 2", "line 3"])
    assert report.accepted == 1  # the good record of the batch is kept
    assert [(e.location, e.event_id, e.field, e.reason) for e in report.conflicts] == [
        ("line 1", mine.event_id, "retracts", RETRACTED_UNKNOWN),
        ("line 2", nothing.event_id, "retracts", RETRACTED_UNKNOWN),
    ]
    assert state_of(runtime, theirs.person)[0] == "red"


def test_a_green_designation_holds_until_its_end_then_red_returns__S6(
    runtime: Runtime, clock: ManualClock
) -> None:
    positive = nucleic_acid("positive", march(19, 8), known=march(19))
    who = positive.person
    record(runtime, positive)
    expiry = march(23)
    report = record(runtime, green("start", march(20), who), green("end", expiry, who))
    assert (report.accepted, report.conflicts) == (2, [])
    assert state_of(runtime, who) == ("green", expiry)
    clock.instant = expiry
    with runtime.unit_of_work(operator("system")) as uow:
        assert review_due(uow).changed == 1
    assert state_of(runtime, who)[0] == "red"


def test_a_green_designation_without_its_end_is_refused__S6(runtime: Runtime) -> None:
    positive = nucleic_acid("positive", march(19, 8), known=march(19))
    record(runtime, positive)
    start = green("start", march(20), positive.person)
    report = record(runtime, start)
    assert [(e.event_id, e.field, e.reason) for e in report.conflicts] == [
        (start.event_id, "color", GREEN_WITHOUT_END)
    ]
    assert state_of(runtime, positive.person)[0] == "red"

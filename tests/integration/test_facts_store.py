"""Facts kept once and for good, codes kept current (S5, A2, A6, A5), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from builders import (
    ManualClock,
    diagnosis,
    isolation,
    march,
    operator,
    person,
    risk_area,
    severe,
    symptoms,
    trip,
)
from healthcode.db.schema import code_history, facts
from healthcode.domain.facts import Fact, Person
from healthcode.services.areas import record_risk_areas, record_severe_designations, run_area_jobs
from healthcode.services.facts import record_facts
from healthcode.services.review import review_due
from healthcode.services.runtime import Runtime
from healthcode.services.status import code_status


def record(runtime: Runtime, *items: Fact):  # type: ignore[no-untyped-def]
    with runtime.unit_of_work(operator()) as uow:
        return record_facts(uow, list(items))


def colour_of(runtime: Runtime, who: Person) -> str | None:
    with runtime.unit_of_work(operator("operator", "test")) as uow:
        found = code_status(uow, who.key)
    assert found is not None
    return None if found.state is None else found.state.colour


def history_causes(runtime: Runtime) -> list[str]:
    with runtime.engine.connect() as connection:
        return list(connection.scalars(select(code_history.c.cause).order_by(code_history.c.id)))


def count_facts(runtime: Runtime) -> int:
    with runtime.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(facts)) or 0)


def test_same_record_again_is_a_duplicate__S5(runtime: Runtime) -> None:
    fact = isolation("start", march(18))
    first = record(runtime, fact)
    again = record(runtime, fact)
    assert (first.accepted, first.duplicates) == (1, 0)
    assert (again.accepted, again.duplicates, again.conflicts) == (0, 1, [])
    assert count_facts(runtime) == 1


def test_same_id_with_other_content_is_a_conflict__S5(runtime: Runtime) -> None:
    fact = isolation("start", march(18))
    record(runtime, fact)
    changed = Fact(fact.event_id, fact.source, fact.person, march(19), fact.payload)
    report = record(runtime, changed)
    assert report.accepted == 0
    assert [(c.event_id, c.field) for c in report.conflicts] == [(fact.event_id, "event_id")]
    assert count_facts(runtime) == 1


def test_duplicates_within_one_batch_count_once__S5(runtime: Runtime) -> None:
    fact = diagnosis("confirmed", march(18))
    report = record(runtime, fact, fact)
    assert (report.accepted, report.duplicates) == (1, 1)


def test_new_facts_reevaluate_exactly_the_persons_they_touch__A2(runtime: Runtime) -> None:
    record(runtime, isolation("start", march(18)))
    report = record(runtime, symptoms("report", march(19)))  # the same default person
    assert report.reevaluation.evaluated == 1
    assert colour_of(runtime, person()) == "red"
    # Still red, but the explanation gained the symptoms: that is a change of the code's record.
    assert history_causes(runtime) == ["fact", "fact"]
    record(runtime, symptoms("report", march(19, 13)))  # another report: the code is the same
    assert history_causes(runtime) == ["fact", "fact"]


def test_a_new_risk_area_reevaluates_those_who_stayed_there__A6(runtime: Runtime) -> None:
    traveller, stay_at_home = person(1), person(2)
    record(
        runtime,
        Fact("t-1", trip("420106001", march(10), until=march(12)).source, traveller, march(10),
             trip("420106001", march(10), until=march(12)).payload),
        Fact("t-2", trip("330106", march(10)).source, stay_at_home, march(10),
             trip("330106", march(10)).payload),
    )  # fmt: skip
    with runtime.unit_of_work(operator("area_publisher")) as uow:
        report = record_risk_areas(uow, [risk_area("4201", "high", march(1))])
    assert (report.reevaluated, len(report.jobs)) == (0, 1)  # queued for a population job
    assert colour_of(runtime, traveller) == "green"
    assert run_area_jobs(runtime, report, "worker").reevaluated == 1
    assert colour_of(runtime, traveller) == "red"
    assert colour_of(runtime, stay_at_home) == "green"
    with runtime.unit_of_work(operator("area_publisher")) as uow:
        again = record_risk_areas(uow, [risk_area("4201", "high", march(1))])
    assert (again.unchanged, again.reevaluated, again.jobs) == (1, 0, [])


def test_a_severe_designation_reevaluates_those_who_stayed_there__A7(runtime: Runtime) -> None:
    record(runtime, trip("330106002", march(16), until=march(17)))
    with runtime.unit_of_work(operator("area_publisher")) as uow:
        report = record_severe_designations(uow, [severe("330106", march(18))])
    assert run_area_jobs(runtime, report, "worker").reevaluated == 1
    assert colour_of(runtime, person()) == "red"


def test_time_turns_codes_when_their_review_comes__A6(runtime: Runtime, clock: ManualClock) -> None:
    with runtime.unit_of_work(operator("area_publisher")) as uow:
        record_risk_areas(uow, [risk_area("420106", "high", march(1))])
    record(runtime, trip("420106", march(10), until=march(12)))
    assert colour_of(runtime, person()) == "red"
    clock.instant = march(25)
    with runtime.unit_of_work(operator("system")) as uow:
        assert review_due(uow).reviewed == 0  # not yet due
    clock.instant = march(26) + timedelta(minutes=1)
    with runtime.unit_of_work(operator("system")) as uow:
        assert review_due(uow).changed == 1
    assert colour_of(runtime, person()) == "green"
    assert history_causes(runtime) == ["fact", "time"]


def test_a_fact_dated_ahead_is_reviewed_when_it_takes_effect__A5(
    runtime: Runtime, clock: ManualClock
) -> None:
    record(runtime, isolation("start", march(21)))  # a department's clock runs ahead
    assert colour_of(runtime, person()) == "green"
    clock.instant = march(21, 13)
    with runtime.unit_of_work(operator("system")) as uow:
        assert review_due(uow).changed == 1
    assert colour_of(runtime, person()) == "red"


def test_an_area_rating_that_starts_later_is_reviewed_when_it_starts__A6(
    runtime: Runtime, clock: ManualClock
) -> None:
    record(runtime, trip("420106", march(19)))
    with runtime.unit_of_work(operator("area_publisher")) as uow:
        started = record_risk_areas(uow, [risk_area("420106", "medium", march(22))])
    run_area_jobs(runtime, started, "worker")
    assert colour_of(runtime, person()) == "green"
    clock.instant = march(22, 12)
    with runtime.unit_of_work(operator("system")) as uow:
        assert review_due(uow).changed == 1
    assert colour_of(runtime, person()) == "red"

"""Facts kept once and for good, codes kept current (S5, A2, A6, A5), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select

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
from healthcode.db.facts_store import REGION_INDEX
from healthcode.db.schema import code_history, facts, trip_regions
from healthcode.domain.facts import Fact, Person, Source
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


def trip_of(who: Person, region: str, event_id: str) -> Fact:
    made = trip(region, march(10), until=march(12))
    return Fact(event_id, made.source, who, made.occurred_at, made.payload)


def test_a_stay_is_found_by_every_area_that_covers_it_and_by_none_other__A6(
    runtime: Runtime,
) -> None:
    # Stays are indexed from the county down (ADR 0024); a province or prefecture finds them
    # through the division table's codes it covers, a trip to a prefecture as a whole included.
    township, county, prefecture, elsewhere = person(1), person(2), person(3), person(4)
    record(
        runtime,
        trip_of(township, "330106002", "s-1"),
        trip_of(county, "330106", "s-2"),
        trip_of(prefecture, "330100", "s-3"),
        trip_of(elsewhere, "420106001", "s-4"),
    )
    with runtime.unit_of_work(operator()) as uow:
        ids = uow.people.ids_for([township.key, county.key, prefecture.key, elsewhere.key])
        names = {ids[who.key]: name for who, name in (
            (township, "township"), (county, "county"), (prefecture, "prefecture"),
            (elsewhere, "elsewhere"),
        )}  # fmt: skip

        def found(area: str) -> set[str]:
            stayed = uow.facts.persons_who_stayed_in(area)
            assert len(stayed) == len(set(stayed))  # each person once, however many codes match
            return {names[person_id] for person_id in stayed}

        everyone_in_hangzhou = {"township", "county", "prefecture"}
        assert found("33") == found("330000") == everyone_in_hangzhou
        assert found("3301") == found("330100") == everyone_in_hangzhou
        assert found("330106") == {"township", "county"}
        assert found("330106002") == {"township"}
        assert found("330106003") == set()
        assert found("42") == found("4201") == {"elsewhere"}
        assert found("32") == set()


def test_a_stay_indexed_with_every_prefix_before_is_still_found__A6(runtime: Runtime) -> None:
    # Before ADR 0024 a stay had an index row for its province and prefecture too.
    record(runtime, isolation("start", march(18)))  # the person, stored
    with runtime.unit_of_work(operator()) as uow:
        person_id = uow.people.ids_for([person().key])[person().key]
        for prefix in ("33", "3301"):
            index = runtime.vault.blind_index(REGION_INDEX, prefix)
            uow.connection.execute(
                insert(trip_regions).values(person_id=person_id, region_index=index)
            )
    with runtime.unit_of_work(operator()) as uow:
        assert uow.facts.persons_who_stayed_in("330000") == [person_id]
        assert uow.facts.persons_who_stayed_in("330100") == [person_id]
        assert uow.facts.persons_who_stayed_in("330106") == []


def test_a_fact_is_stored_as_it_was_given__S5(runtime: Runtime) -> None:
    # On PostgreSQL the facts go by binary COPY, encoded by hand (db/copy_binary.py): the
    # instant to the microsecond and the text as UTF-8 come back as they went in.
    when = march(18, 9, 30) + timedelta(microseconds=123_457)
    given = Fact("事件-é-1", Source.HEALTH, person(), when, isolation("start", when).payload)
    assert record(runtime, given).accepted == 1
    with runtime.engine.connect() as connection:
        row = connection.execute(select(facts.c.event_id, facts.c.occurred_at)).one()
    assert (row.event_id, row.occurred_at) == ("事件-é-1", when)
    with runtime.unit_of_work(operator()) as uow:
        person_id = uow.people.ids_for([person().key])[person().key]
        assert uow.facts.of_persons([person_id])[person_id] == [given]

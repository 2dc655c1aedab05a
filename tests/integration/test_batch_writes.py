"""Batch writers (issue #12): persons, code states and history written one statement per table per
batch, sealed in one batch (format 2, ADR 0011), read back like rows written one at a time; on
SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Column, func, select
from sqlalchemy.exc import IntegrityError

from builders import march, operator, person, resident_id
from healthcode.db import writes
from healthcode.db.schema import code_history, code_states, persons
from healthcode.db.states import StateChange, StateSave, StoredState
from healthcode.domain.facts import Person
from healthcode.domain.identity import IdType
from healthcode.security.vault import SealedDataError
from healthcode.services.runtime import Runtime


def state(colour: str, day: int = 20) -> StoredState:
    return StoredState(
        {"color": colour, "rules": [f"R-{colour}"], "measure": None},
        since=march(day),
        ruleset="cn-2021@1",
        evaluated_at=march(day),
        next_review_at=march(day) + timedelta(days=14),
    )


def add_persons(runtime: Runtime, people: list[Person]) -> list[str]:
    with runtime.unit_of_work(operator()) as uow:
        return uow.people.add_many(people, uow.now)


def sealed_formats(runtime: Runtime, column: Column[bytes]) -> set[int]:
    with runtime.engine.connect() as connection:
        return {bytes(value)[0] for value in connection.scalars(select(column)) if value}


def test_add_many_stores_persons_in_order_findable_and_sealed_in_one_batch(
    runtime: Runtime,
) -> None:
    people = [
        Person(IdType.RESIDENT_ID, resident_id(seq="001"), "张三", "13800138000", "CHN"),
        person(2),
        Person(IdType.RESIDENT_ID, resident_id(seq="003"), name="李四"),
    ]

    ids = add_persons(runtime, people)

    assert len(set(ids)) == 3
    with runtime.unit_of_work(operator()) as uow:
        assert uow.people.ids_for([p.key for p in people]) == {
            p.key: person_id for p, person_id in zip(people, ids, strict=True)
        }
        assert uow.people.key_of(ids[0]) == people[0].key
        found = uow.people.find(people[0].key)
        assert found is not None
        assert found.home_region == "330106"
        assert uow.people.name_matches(found, "张 三")
        assert not uow.people.name_matches(found, "李四")
    with runtime.engine.connect() as connection:
        wraps = {bytes(v)[:63] for v in connection.scalars(select(persons.c.id_number_sealed))}
    assert len(wraps) == 1  # one data key wrapped once for the whole call
    assert sealed_formats(runtime, persons.c.name_sealed) == {2}


def test_add_many_of_nobody_writes_nothing_and_add_still_adds_one(runtime: Runtime) -> None:
    assert add_persons(runtime, []) == []
    with runtime.unit_of_work(operator()) as uow:
        person_id = uow.people.add(person(7), uow.now)
        assert uow.people.ids_for([person(7).key]) == {person(7).key: person_id}


def test_add_many_refuses_a_person_already_on_record_and_keeps_nothing_of_the_batch(
    runtime: Runtime,
) -> None:
    add_persons(runtime, [person(1)])
    with pytest.raises(IntegrityError), runtime.unit_of_work(operator()) as uow:
        uow.people.add_many([person(2), person(1)], uow.now)
    with runtime.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(persons)) == 1


@pytest.fixture(params=["executemany", "staged"])
def update_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways an update batch is written (PostgreSQL stages large ones): small tests stage
    from the first row."""
    if request.param == "staged":
        monkeypatch.setattr(writes, "STAGED_UPDATE_ROWS", 1)
    return str(request.param)


@pytest.mark.usefixtures("update_path")
def test_save_many_inserts_new_states_and_updates_existing_ones_in_one_call(
    runtime: Runtime,
) -> None:
    ids = add_persons(runtime, [person(n) for n in range(1, 5)])
    with runtime.unit_of_work(operator()) as uow:
        uow.states.save_many([StateSave(pid, state("green"), existed=False) for pid in ids[:2]])

    yellow, red = state("yellow", 21), replace(state("red", 21), next_review_at=None)
    with runtime.unit_of_work(operator()) as uow:
        uow.states.save_many(
            [
                StateSave(ids[0], yellow, existed=True),
                StateSave(ids[2], red, existed=False),
                StateSave(ids[1], red, existed=True),
            ]
        )

    with runtime.unit_of_work(operator()) as uow:
        stored = uow.states.get_many(ids)
        due = uow.states.due(march(21) + timedelta(days=30), limit=10)
    assert stored == {ids[0]: yellow, ids[1]: red, ids[2]: red}
    assert due == [ids[0]]
    assert sealed_formats(runtime, code_states.c.decision_sealed) == {2}


def test_a_state_moved_to_another_person_does_not_open(runtime: Runtime) -> None:
    ids = add_persons(runtime, [person(1), person(2)])
    with runtime.unit_of_work(operator()) as uow:
        uow.states.save_many(
            [StateSave(ids[0], state("red"), False), StateSave(ids[1], state("green"), False)]
        )
    with runtime.engine.begin() as connection:
        sealed = connection.scalar(
            select(code_states.c.decision_sealed).where(code_states.c.person_id == ids[0])
        )
        connection.execute(
            code_states.update()
            .where(code_states.c.person_id == ids[1])
            .values(decision_sealed=sealed)
        )
    with (
        pytest.raises(SealedDataError, match="another context"),
        runtime.unit_of_work(operator()) as uow,
    ):
        uow.states.get_many([ids[1]])


def test_record_changes_appends_history_in_the_order_given(runtime: Runtime) -> None:
    ids = add_persons(runtime, [person(1), person(2)])
    changes = [
        StateChange(ids[1], state("yellow"), "fact", "health:e-1"),
        StateChange(ids[0], state("red"), "area", None),
        StateChange(ids[1], state("red", 21), "time", None),
    ]
    with runtime.unit_of_work(operator()) as uow:
        uow.states.record_changes(changes)
        uow.states.record_changes([])

    with runtime.unit_of_work(operator()) as uow:
        first, second = uow.states.history(ids[1]), uow.states.history(ids[0])
    assert [(when, cause, ref, d["color"]) for when, cause, ref, d in first] == [
        (march(20), "fact", "health:e-1", "yellow"),
        (march(21), "time", None, "red"),
    ]
    assert [(cause, d) for _, cause, _, d in second] == [("area", state("red").decision)]
    with runtime.engine.connect() as connection:
        causes = list(connection.scalars(select(code_history.c.cause).order_by(code_history.c.id)))
    assert causes == ["fact", "area", "time"]
    assert sealed_formats(runtime, code_history.c.decision_sealed) == {2}


def save_and_fail(runtime: Runtime, saves: list[StateSave]) -> None:
    with runtime.unit_of_work(operator()) as uow:
        uow.states.save_many(saves)
        raise RuntimeError("rolled back")


@pytest.mark.usefixtures("update_path")
def test_updates_in_one_transaction_apply_each_batch_once_in_turn(runtime: Runtime) -> None:
    # On PostgreSQL updates pass through a staging table the session keeps: each batch must find
    # it empty, in the same transaction and after a rolled-back one.
    ids = add_persons(runtime, [person(1), person(2)])
    with runtime.unit_of_work(operator()) as uow:
        uow.states.save_many([StateSave(pid, state("green"), existed=False) for pid in ids])
    with pytest.raises(RuntimeError, match="rolled back"):
        save_and_fail(runtime, [StateSave(ids[0], state("red"), existed=True)])
    with runtime.unit_of_work(operator()) as uow:
        uow.states.save_many([StateSave(ids[1], state("yellow"), existed=True)])
        uow.states.save_many([StateSave(ids[1], state("red", 21), existed=True)])
        uow.states.save_many([StateSave(ids[0], state("yellow", 22), existed=True)])
    with runtime.unit_of_work(operator()) as uow:
        stored = uow.states.get_many(ids)
    assert stored == {ids[0]: state("yellow", 22), ids[1]: state("red", 21)}

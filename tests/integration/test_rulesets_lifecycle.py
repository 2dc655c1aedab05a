"""Rulesets over time (A5): draft, approval by a second person, valid-from, activation, dry run."""

from __future__ import annotations

import copy
import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from builders import (
    ManualClock,
    audit_report,
    fact,
    march,
    refusal_of,
    resident_id,
    symptoms,
)
from healthcode.clock import FrozenClock
from healthcode.db.schema import audit_log, code_history, code_states
from healthcode.domain.facts import Action, HealthMonitoring, Person
from healthcode.domain.identity import IdType
from healthcode.rulesets import read_ruleset_document
from healthcode.services.evaluation import active_ruleset
from healthcode.services.facts import record_facts
from healthcode.services.population_jobs import run_open_partitions
from healthcode.services.refusals import NOT_FOUND
from healthcode.services.rulesets import (
    ALREADY_APPROVED,
    SECOND_PERSON_REQUIRED,
    activate_due_rulesets,
    approve_ruleset,
    draft_ruleset,
    dry_run,
)
from healthcode.services.runtime import Actor, Runtime
from healthcode.services.scheduled_round import run_round

DEFAULT_FILE = Path(__file__).parents[2] / "src/healthcode/rulesets/zhejiang-2021-36.yaml"
CANDIDATE = "zhejiang-2021-36@1.2.0"
AUTHOR = Actor("alice", "rule_author", "ruleset_draft")
APPROVER = Actor("bob", "rule_approver", "ruleset_approval")

HANGZHOU = Person(IdType.RESIDENT_ID, resident_id("330106", seq="002"))
NINGBO = Person(IdType.RESIDENT_ID, resident_id("330203", seq="003"))
VISITOR = Person(IdType.PASSPORT, "E12345678", nationality="FRA")


def candidate() -> dict[str, Any]:
    """The default ruleset, version 1.2.0 from March 20th, with persons under health monitoring
    (M5) now yellow."""
    document = copy.deepcopy(read_ruleset_document(DEFAULT_FILE))
    monitored = next(rule for rule in document["rules"] if rule["id"] == "flag-health-monitoring")
    yellow = {key: value for key, value in monitored.items() if key != "flag"}
    document["rules"].append(yellow | {"id": "yellow-health-monitoring", "color": "yellow"})
    return document | {"version": "1.2.0", "valid_from": "2021-03-20T00:00:00+08:00"}


def at(runtime: Runtime, instant: datetime) -> Runtime:
    """The same database and keys, read at another instant."""
    return dataclasses.replace(runtime, clock=FrozenClock(instant))


@pytest.fixture
def runtime(runtime: Runtime, clock: ManualClock) -> Runtime:
    """Four persons on file on March 10th: one yellow (symptoms), three green under monitoring."""
    clock.instant = march(10)
    monitoring = HealthMonitoring(Action.START)
    facts = [symptoms("report", march(10, 9))] + [
        fact(monitoring, march(10, 9), who) for who in (HANGZHOU, NINGBO, VISITOR)
    ]
    with runtime.unit_of_work(Actor("feed", "system", "import")) as uow:
        record_facts(uow, facts)
    return runtime


def draft_and_approve(runtime: Runtime) -> None:
    with runtime.unit_of_work(AUTHOR) as uow:
        draft_ruleset(uow, candidate())
    with runtime.unit_of_work(APPROVER) as uow:
        approve_ruleset(uow, "zhejiang-2021-36", "1.2.0")


def colours(runtime: Runtime) -> dict[str, str]:
    with runtime.unit_of_work(APPROVER) as uow:
        ids = uow.people.person_ids(None, 100)
        return {pid: state.colour for pid, state in uow.states.get_many(ids).items()}


def audited(runtime: Runtime, action: str) -> list[tuple[str, str, str | None]]:
    with runtime.engine.connect() as connection:
        rows = connection.execute(
            select(audit_log.c.actor, audit_log.c.outcome, audit_log.c.object)
            .where(audit_log.c.action == action)
            .order_by(audit_log.c.seq)
        )
        return [tuple(row) for row in rows]


def refused_details(runtime: Runtime) -> list[tuple[str, str, str | None]]:
    with runtime.engine.connect() as connection:
        rows = connection.execute(
            select(audit_log.c.actor, audit_log.c.outcome, audit_log.c.detail)
            .where(audit_log.c.action == "ruleset.approve", audit_log.c.outcome == "refused")
            .order_by(audit_log.c.seq)
        )
        return [tuple(row) for row in rows]


def test_draft_is_refused_when_invalid_or_already_stored__A5(runtime: Runtime) -> None:
    broken = candidate() | {"rules": []}
    invalid = refusal_of(runtime, AUTHOR, lambda uow: draft_ruleset(uow, broken))
    assert (invalid.code, invalid.field) == ("invalid_ruleset", "rules")
    assert invalid.text.en == "The ruleset is not valid: must be a non-empty list"
    with runtime.unit_of_work(AUTHOR) as uow:
        stored = draft_ruleset(uow, candidate())
    assert (stored.label, stored.status, stored.author) == (CANDIDATE, "draft", "alice")
    again = refusal_of(runtime, AUTHOR, lambda uow: draft_ruleset(uow, candidate()))
    assert (again.code, again.field) == ("invalid_ruleset", "version")
    assert "already stored" in again.text.en
    with runtime.unit_of_work(AUTHOR) as uow:
        assert [version.label for version in uow.rulesets.all()] == [CANDIDATE]
    assert audited(runtime, "ruleset.draft") == [("alice", "ok", CANDIDATE)]


def test_the_author_cannot_approve_and_the_refusal_is_audited__A5(runtime: Runtime) -> None:
    with runtime.unit_of_work(AUTHOR) as uow:
        draft_ruleset(uow, candidate())
    alice = Actor("alice", "rule_approver", "ruleset_approval")
    refusal = refusal_of(runtime, alice, lambda uow: approve_ruleset(uow, *CANDIDATE.split("@")))
    assert refusal == SECOND_PERSON_REQUIRED
    with runtime.unit_of_work(AUTHOR) as uow:
        stored = uow.rulesets.get("zhejiang-2021-36", "1.2.0")
    assert stored is not None
    assert (stored.status, stored.approved_by) == ("draft", None)
    assert audited(runtime, "ruleset.approve") == [("alice", "refused", CANDIDATE)]
    assert audit_report(runtime).intact


def test_a_second_person_approves_once__A5(runtime: Runtime) -> None:
    draft_and_approve(runtime)
    again = refusal_of(runtime, APPROVER, lambda uow: approve_ruleset(uow, *CANDIDATE.split("@")))
    missing = refusal_of(
        runtime, APPROVER, lambda uow: approve_ruleset(uow, "zhejiang-2021-36", "9.9.9")
    )
    with runtime.unit_of_work(APPROVER) as uow:
        stored = uow.rulesets.get("zhejiang-2021-36", "1.2.0")
    assert stored is not None
    assert (stored.status, stored.approved_by, stored.activated_at) == ("approved", "bob", None)
    assert (again, missing) == (ALREADY_APPROVED, NOT_FOUND)
    assert [detail for _, _, detail in refused_details(runtime)] == [
        f"{CANDIDATE} is already approved (by bob)",
        "no ruleset zhejiang-2021-36@9.9.9 is stored",
    ]
    assert [outcome for _, outcome, _ in audited(runtime, "ruleset.approve")] == [
        "ok",
        "refused",
        "refused",
    ]


def test_a_version_takes_effect_at_valid_from_and_activation_reevaluates_everyone__A5(
    runtime: Runtime,
) -> None:
    draft_and_approve(runtime)
    before = at(runtime, march(19, 23))
    with before.unit_of_work(APPROVER) as uow:
        assert active_ruleset(uow).label == "zhejiang-2021-36@1.1.0"
        assert activate_due_rulesets(uow) is None
    after = at(runtime, march(20, 8))
    with after.unit_of_work(APPROVER) as uow:
        assert active_ruleset(uow).label == CANDIDATE
        started = activate_due_rulesets(uow)  # the population job is started, nothing done yet
    assert started is not None
    assert (started.done, started.progress.partitions, started.progress.persons) == (False, 1, 4)
    assert sorted(colours(after).values()) == ["green", "green", "green", "yellow"]
    # Its partition, two persons a transaction, as a worker runs it.
    assert run_open_partitions(after, "worker", page=2) == 1
    with after.unit_of_work(APPROVER) as uow:
        progress = activate_due_rulesets(uow)  # the job is done: the version is activated
    assert progress is not None
    assert (progress.labels, progress.progress.evaluated, progress.progress.changed) == (
        (CANDIDATE,),
        4,
        3,
    )
    assert sorted(colours(after).values()) == ["yellow"] * 4
    with after.unit_of_work(APPROVER) as uow:
        hangzhou = uow.people.find(HANGZHOU.key)
        assert hangzhou is not None
        changed_at, cause, cause_ref, decision = uow.states.history(hangzhou.id)[-1]
        assert activate_due_rulesets(uow) is None  # activated once
        stored = uow.rulesets.get("zhejiang-2021-36", "1.2.0")
    assert (changed_at, cause, cause_ref) == (march(20, 8), "ruleset", CANDIDATE)
    assert decision["color"] == "yellow"
    assert "yellow-health-monitoring" in decision["rules"]
    assert stored is not None
    assert stored.activated_at == march(20, 8)


def test_the_worker_activates_due_versions_each_round__A5(runtime: Runtime) -> None:
    draft_and_approve(runtime)
    assert sorted(colours(runtime).values()) == ["green", "green", "green", "yellow"]
    run_round(at(runtime, march(20, 8)))
    assert sorted(colours(runtime).values()) == ["yellow"] * 4
    assert [outcome for _, outcome, _ in audited(runtime, "ruleset.activate")] == ["ok"]


def test_dry_run_counts_moves_by_region_and_writes_no_state__A5(runtime: Runtime) -> None:
    def stored_codes() -> list[tuple[Any, ...]]:
        with runtime.engine.connect() as connection:
            states = connection.execute(select(code_states).order_by(code_states.c.person_id))
            history = connection.execute(select(code_history).order_by(code_history.c.id))
            return [tuple(row) for row in [*states, *history]]

    codes = stored_codes()
    with at(runtime, march(21)).unit_of_work(AUTHOR) as uow:
        report = dry_run(uow, candidate())
    green_to_yellow = [{"from": "green", "to": "yellow", "count": 1}]
    assert report.as_json() == {
        "ruleset": CANDIDATE,
        "evaluated": 4,
        "changes": [{"from": "green", "to": "yellow", "count": 3}],
        "by_region": {"3301": green_to_yellow, "3302": green_to_yellow, "unknown": green_to_yellow},
    }
    assert report.turned() == {"yellow": 3}
    assert stored_codes() == codes
    with runtime.unit_of_work(AUTHOR) as uow:
        assert uow.rulesets.all() == []
    assert audited(runtime, "ruleset.dry_run") == [("alice", "ok", CANDIDATE)]

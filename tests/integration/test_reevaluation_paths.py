"""Stored codes re-evaluated columnar are stored exactly as the per-person path stores them (#12).

Random populations are recorded, some of their codes forgotten (so that both the INSERT and the
UPDATE of a state are exercised), and then re-evaluated at a random later or earlier instant
twice from the same database state, inside savepoints: once forced per person, once forced
columnar. Stored states, history rows, tallies and the report must be identical.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from builders import (
    ManualClock,
    diagnosis,
    march,
    nucleic_acid,
    operator,
    refusal_of,
    retraction,
    risk_area,
    symptoms,
    trip,
)
from healthcode.db.buckets import bucket_of
from healthcode.db.fact_snapshots import REFRESH_TAIL, Watermark, snapshot_context
from healthcode.db.schema import code_history, code_states, fact_snapshots, facts, persons
from healthcode.db.states import canonical_fields
from healthcode.db.tallies_store import TallyStore
from healthcode.domain.areas import RiskArea, SevereDesignation
from healthcode.domain.facts import Fact
from healthcode.domain.rules import Ruleset, parse_ruleset
from healthcode.exchange import InvalidRecordError, parse_fact
from healthcode.exchange.writer import fact_record
from healthcode.presenters import decision_fields
from healthcode.rulesets import read_ruleset_document
from healthcode.security.vault import SealedDataError
from healthcode.services.areas import record_risk_areas, record_severe_designations
from healthcode.services.deciding import decide_stored
from healthcode.services.evaluation import Reevaluation, active_ruleset, reevaluate
from healthcode.services.facts import record_facts
from healthcode.services.rulesets import draft_ruleset, dry_run
from healthcode.services.runtime import Actor, Runtime, UnitOfWork
from strategies import instants, populations, risk_areas, severe_designations

PER_PERSON = 10**9  # no call is that large: the per-person path throughout
COLUMNAR = 0  # every call columnar
DEFAULT_FILE = Path(__file__).parents[2] / "src/healthcode/rulesets/zhejiang-2021-36.yaml"
AUTHOR = Actor("alice", "rule_author", "ruleset_draft")


_EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class _DiscardedError(Exception):
    """Raised at the end of an example: nothing it stored outlives it."""


@contextmanager
def _discarded(runtime: Runtime) -> Iterator[UnitOfWork]:
    """A unit of work rolled back at the end, so that examples share one empty database."""
    with contextlib.suppress(_DiscardedError), runtime.unit_of_work(operator()) as uow:
        yield uow
        raise _DiscardedError


Snapshot = tuple[Any, ...]


def _snapshot(uow: UnitOfWork, report: Reevaluation) -> Snapshot:
    ids = uow.people.person_ids(None, 10_000)
    states = uow.states.get_many(ids)
    history = [
        (row.person_id, row.changed_at, row.cause, row.cause_ref, row.ruleset)
        for row in uow.connection.execute(select(code_history).order_by(code_history.c.id))
    ]
    tallies = TallyStore(uow.connection)
    digests = dict(
        uow.connection.execute(select(code_states.c.person_id, code_states.c.code_digest)).all()
    )
    return (
        report,
        [(pid, states.get(pid), digests.get(pid)) for pid in ids],
        history,
        [uow.states.history(pid) for pid in ids],
        # Sorted: neither query orders its rows, and PostgreSQL returns them in the order the
        # heap holds them, which the rolled-back path before this one has changed.
        sorted(tallies.by_region()),
        sorted(tallies.moves_since("2000-01-01")),
    )


def _storable(fact: Fact) -> bool:
    """Whether a department could send it: the strategies also make facts only files refuse."""
    try:
        parse_fact(fact_record(fact))
    except InvalidRecordError:
        return False
    return True


def _both_paths(
    uow: UnitOfWork, causes: dict[str, str | None], ruleset: Ruleset | None = None
) -> tuple[Snapshot, Snapshot]:
    per_person, columnar, _ = _paths(uow, causes, ruleset)
    return per_person, columnar


def _paths(
    uow: UnitOfWork, causes: dict[str, str | None], ruleset: Ruleset | None = None
) -> tuple[Snapshot, Snapshot, Snapshot]:
    """Per person; columnar through the snapshots there are; columnar refreshing them."""
    taken = []
    for threshold, refresh in ((PER_PERSON, False), (COLUMNAR, False), (COLUMNAR, True)):
        savepoint = uow.connection.begin_nested()
        report = reevaluate(
            uow, causes, "test", ruleset, columnar_from=threshold, refresh_snapshots=refresh
        )
        taken.append(_snapshot(uow, report))
        savepoint.rollback()
    return taken[0], taken[1], taken[2]


def _build_snapshots(uow: UnitOfWork) -> int:
    """A snapshot of every shard that has persons; how many."""
    shards = set(uow.connection.scalars(select(persons.c.bucket)))
    for shard in shards:
        uow.fact_snapshots.build(shard, uow.now)
    return len(shards)


def _store(
    uow: UnitOfWork,
    facts: list[Fact],
    areas: list[RiskArea],
    designations: list[SevereDesignation],
    forgotten: int,
) -> dict[str, str | None]:
    """Record everything (each step re-evaluates as in production); forget some codes."""
    record_facts(uow, [fact for fact in facts if _storable(fact)])
    record_risk_areas(uow, areas)
    record_severe_designations(uow, designations)
    ids = uow.people.person_ids(None, 10_000)
    gone = ids[:forgotten]
    if gone:
        uow.connection.execute(delete(code_states).where(code_states.c.person_id.in_(gone)))
    return {pid: f"ref-{index}" if index % 2 else None for index, pid in enumerate(ids)}


@_EXAMPLES
@given(
    facts=populations(),
    areas=risk_areas(),
    designations=severe_designations(),
    recorded=instants,
    later=instants,
    forgotten=st.integers(0, 3),
)
def test_both_paths_store_the_same_codes_history_and_tallies__A5(
    runtime: Runtime,
    clock: ManualClock,
    facts: list[Fact],
    areas: list[RiskArea],
    designations: list[SevereDesignation],
    recorded: datetime,
    later: datetime,
    forgotten: int,
) -> None:
    clock.instant = recorded
    with _discarded(runtime) as uow:
        causes = _store(uow, facts, areas, designations, forgotten)
        uow.now = later  # the same stored data, looked at another time
        per_person, columnar = _both_paths(uow, causes)
        assert columnar == per_person
        assert per_person[0].evaluated == len(causes)


@_EXAMPLES
@given(
    facts=populations(),
    areas=risk_areas(),
    designations=severe_designations(),
    recorded=instants,
    later=instants,
)
def test_both_paths_give_the_same_canonical_fields_digests_and_reviews__A5(
    runtime: Runtime,
    clock: ManualClock,
    facts: list[Fact],
    areas: list[RiskArea],
    designations: list[SevereDesignation],
    recorded: datetime,
    later: datetime,
) -> None:
    """The columnar page's canonical fields (made once per distinct outcome, each person's own
    review put in) are the per-person path's, so a digest compared in the database means the
    same whichever path wrote the code (ADR 0025)."""
    clock.instant = recorded
    with _discarded(runtime) as uow:
        causes = _store(uow, facts, areas, designations, forgotten=0)
        uow.now = later
        ids = list(causes)
        rules = active_ruleset(uow)
        one_by_one = decide_stored(uow, ids, rules, columnar_from=PER_PERSON)
        columnar = decide_stored(uow, ids, rules, columnar_from=COLUMNAR)
        assert list(columnar.canonical) == list(one_by_one.canonical)
        assert list(columnar.reviews) == list(one_by_one.reviews)
        expected = [decision_fields(one_by_one.decided(i).decision) for i in range(len(ids))]
        assert [decision_fields(columnar.decided(i).decision) for i in range(len(ids))] == expected
        assert list(one_by_one.canonical) == [canonical_fields(fields) for fields in expected]
        assert uow.states.code_digests(ids, columnar.canonical) == [
            uow.states.code_digest(pid, fields) for pid, fields in zip(ids, expected, strict=True)
        ]


@_EXAMPLES
@given(
    facts_=populations(),
    areas=risk_areas(),
    designations=severe_designations(),
    recorded=instants,
    later=instants,
    covered=st.floats(0, 1),
    forgotten=st.integers(0, 3),
    gone=st.integers(0, 2),
)
def test_snapshots_and_their_tail_store_what_the_per_person_path_stores__A5(
    runtime: Runtime,
    clock: ManualClock,
    facts_: list[Fact],
    areas: list[RiskArea],
    designations: list[SevereDesignation],
    recorded: datetime,
    later: datetime,
    covered: float,
    forgotten: int,
    gone: int,
) -> None:
    """Shards snapshotted part way (the rest of the facts is their tail), and facts deleted
    behind the snapshots' back: stored codes, history and tallies as the per-person path's."""
    clock.instant = recorded
    storable = [fact for fact in facts_ if _storable(fact)]
    split = round(len(storable) * covered)
    with _discarded(runtime) as uow:
        record_facts(uow, storable[:split])
        _build_snapshots(uow)
        causes = _store(uow, storable[split:], areas, designations, forgotten)
        # Facts the snapshots hold but the log no longer does: nothing may count them.
        dropped = list(uow.connection.scalars(select(facts.c.id).order_by(facts.c.id).limit(gone)))
        uow.connection.execute(delete(facts).where(facts.c.id.in_(dropped)))
        uow.now = later
        per_person, through_snapshots, refreshed = _paths(uow, causes)
        assert through_snapshots == per_person
        assert refreshed == per_person


def test_a_retraction_after_the_snapshot_counts_and_a_refresh_takes_it_in__S6(
    runtime: Runtime, clock: ManualClock
) -> None:
    clock.instant = march(20)
    positive = nucleic_acid("positive", march(18))
    with _discarded(runtime) as uow:
        record_facts(uow, [positive, trip("330106", march(10), until=march(11))])
        assert _build_snapshots(uow) == 1
        causes = _store(uow, [retraction(positive.event_id, march(20))], [], [], forgotten=0)
        (person_id,) = causes
        before = uow.fact_snapshots.watermarks([bucket_of(person_id)])[bucket_of(person_id)]
        uow.now = march(21)
        per_person, through_snapshots, refreshed = _paths(uow, causes)
        assert through_snapshots == per_person == refreshed
        # The retraction is the tail: one fact, too short a tail to rebuild the shard for.
        after = uow.fact_snapshots.watermarks([bucket_of(person_id)])[bucket_of(person_id)]
        assert after == before
        states = uow.states.get_many([person_id])
        assert states[person_id].colour == "green"


def test_a_snapshot_is_rebuilt_when_its_tail_is_long_and_opens_only_where_it_belongs__A5(
    runtime: Runtime, clock: ManualClock
) -> None:
    clock.instant = march(20)
    first = [trip("330106", march(1, hour % 24, hour // 24)) for hour in range(REFRESH_TAIL + 1)]
    with _discarded(runtime) as uow:
        record_facts(uow, first[:1])
        _build_snapshots(uow)
        (person_id,) = uow.people.person_ids(None, 10)
        shard = bucket_of(person_id)
        built = uow.fact_snapshots.watermarks([shard])[shard]
        record_facts(uow, first[1:])
        reevaluate(uow, {person_id: None}, "test", columnar_from=COLUMNAR, refresh_snapshots=True)
        rebuilt = uow.fact_snapshots.watermarks([shard])[shard]
        assert (built.rows, rebuilt.rows) == (1, REFRESH_TAIL + 1)
        assert rebuilt.through_fact_id > built.through_fact_id
        sealed = bytes(uow.connection.scalar(select(fact_snapshots.c.payload_sealed)) or b"")
        # Sealed with the shard, the watermark and the build in its associated data: the same
        # bytes under another shard's name, or an older build's, do not open.
        elsewhere = Watermark((shard + 1) % 1024, rebuilt.through_fact_id, 0, rebuilt.token)
        older = Watermark(shard, built.through_fact_id, 0, rebuilt.token)
        for context in (elsewhere, older):
            with pytest.raises(SealedDataError):
                runtime.vault.open(sealed, snapshot_context(context))
        runtime.vault.open(sealed, snapshot_context(rebuilt))
        assert uow.fact_snapshots.drop() == 1


def _uncompilable() -> dict[str, Any]:
    """The default ruleset with one flag rule the columnar compiler has no form for."""
    document = copy.deepcopy(read_ruleset_document(DEFAULT_FILE))
    flag = next(rule for rule in document["rules"] if "flag" in rule)
    reduce = {"reduce": [[1], {"var": "accumulator"}, 0]}
    document["rules"].append(flag | {"id": "flag-reduce", "flag": "reduced", "condition": reduce})
    return document | {"version": "9.0.0"}


def test_a_ruleset_the_compiler_refuses_is_refused_at_draft_and_dry_run__A5(
    runtime: Runtime,
) -> None:
    for act in (draft_ruleset, dry_run):
        refusal = refusal_of(runtime, AUTHOR, lambda uow, act=act: act(uow, _uncompilable()))  # type: ignore[misc]
        assert (refusal.code, refusal.field) == (
            "invalid_ruleset",
            "rules[14] (flag-reduce).condition.reduce",
        )
        assert "no columnar form" in refusal.text.en


def test_a_stored_ruleset_the_compiler_refuses_is_still_decided_one_by_one__A5(
    runtime: Runtime, clock: ManualClock
) -> None:
    facts, areas, designations = _a_small_population(clock)
    ruleset = parse_ruleset(_uncompilable())
    with _discarded(runtime) as uow:
        causes = _store(uow, facts, areas, designations, forgotten=1)
        per_person, columnar = _both_paths(uow, causes, ruleset)
        assert columnar == per_person
        assert per_person[0].evaluated == len(causes) > 0


def _a_small_population(
    clock: ManualClock,
) -> tuple[list[Fact], list[RiskArea], list[SevereDesignation]]:
    clock.instant = march(20)
    facts = [diagnosis("confirmed", march(18)), symptoms("report", march(19))]
    facts.append(trip("420106", march(15), until=march(16)))
    return facts, [risk_area("420106", "high", march(14), march(25))], []

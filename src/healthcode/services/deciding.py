"""Deciding stored persons: columnar for a page of them, one by one for a few (issue #12).

Both paths give the same decisions (tests/unit/test_columnar_agreement.py) and the same review
instants (tests/integration/test_reevaluation_paths.py); what differs is the cost. The columnar
engine has a fixed cost per call (frames, joins, a compiled ruleset evaluated over them) that a
single person from the web or a checkpoint does not repay, so below `COLUMNAR_FROM` persons the
per-person path decides. Explanations always use the per-person path (domain.decisions).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

import polars as pl

from healthcode.db.states import canonical_fields
from healthcode.domain.areas import RiskArea, SevereDesignation
from healthcode.domain.columnar.boundaries import BOUNDARY, PENDING, review_instants
from healthcode.domain.columnar.decisions import (
    OUTCOME,
    decide_frame,
    decisions_of,
    distinct_outcomes,
)
from healthcode.domain.columnar.features import population_features
from healthcode.domain.columnar.frames import (
    Areas,
    Population,
    areas_frame,
)
from healthcode.domain.columnar.rulesets import CompiledRuleset, compile_ruleset
from healthcode.domain.decisions import Decision, decide
from healthcode.domain.documents import RulesetError
from healthcode.domain.exposure import AreaIndex
from healthcode.domain.facts import Fact
from healthcode.domain.features import derive_features
from healthcode.domain.rules import Ruleset
from healthcode.domain.timezones import display_instant
from healthcode.presenters import decision_fields
from healthcode.recent import Recent
from healthcode.services.runtime import UnitOfWork

# From this many persons a call decides columnar. Measured (bench/reevaluate_stored.py, one call
# with its writes): the columnar engine's fixed cost is 15-25 ms a call; per person is faster up
# to about 100 persons and slower from 300 on. A fact recording touches one person; an area change
# or a page of a population pass, hundreds to thousands.
COLUMNAR_FROM: Final = 100


@dataclass(frozen=True, slots=True)
class Decided:
    """A person's decision and the next instant their stored code must be looked at."""

    decision: Decision
    next_review_at: datetime | None


@dataclass(frozen=True, slots=True)
class DecidedPage:
    """A page's decisions as its stored codes need them (ADR 0025): each person's decision
    fields in canonical form (`db.states.canonical_fields`, what a code's digest is taken over)
    and the next review to store, in the persons' order; a person's `Decided` only on request,
    for the codes that changed."""

    canonical: Sequence[str]
    reviews: Sequence[datetime | None]
    decided: Callable[[int], Decided]

    def __len__(self) -> int:
        return len(self.canonical)


def decide_stored(
    uow: UnitOfWork,
    person_ids: Sequence[str],
    rules: Ruleset,
    *,
    columnar_from: int = COLUMNAR_FROM,
    refresh_snapshots: bool = False,
) -> DecidedPage:
    """Decide each person (in order) on their stored facts and the stored areas at `uow.now`.

    Columnar, the facts are read through the shards' snapshots (db/fact_snapshots.py);
    `refresh_snapshots` (population jobs) builds the missing and stale ones on the way.
    """
    areas = _area_lists(uow)
    compiled = compiled_ruleset(rules) if len(person_ids) >= columnar_from else None
    # A stored ruleset the compiler refuses (one approved before drafts were checked for a
    # columnar form) is still in force: its persons are decided one by one, as before.
    if isinstance(compiled, CompiledRuleset):
        population = uow.fact_snapshots.population(person_ids, uow.now, refresh=refresh_snapshots)
        return _columnar(population, areas.frame, compiled, uow.now)
    stored = uow.facts.of_persons(person_ids)
    decided = [_one(stored.get(pid, []), areas.index, rules, uow.now) for pid in person_ids]
    return DecidedPage(
        [canonical_fields(decision_fields(item.decision)) for item in decided],
        [item.next_review_at for item in decided],
        decided.__getitem__,
    )


def columnar_decisions(
    uow: UnitOfWork, person_ids: Sequence[str], compiled: CompiledRuleset
) -> list[Decision]:
    """The decisions alone (no review instants), columnar whatever the number of persons."""
    population = uow.fact_snapshots.population(person_ids, uow.now)
    features = population_features(population, _area_lists(uow).frame, uow.now)
    return decisions_of(decide_frame(features, compiled, uow.now), compiled)


# Stands for the next review in a distinct outcome's canonical fields, which are then cut around
# it: a person's canonical form is the outcome's text with their own review put in its place.
_REVIEW_MARK: Final = "\0next review\0"


def _columnar(
    population: Population, areas: Areas, compiled: CompiledRuleset, at: datetime
) -> DecidedPage:
    features = population_features(population, areas, at)
    frame = decide_frame(features, compiled, at)
    outcome, decisions = distinct_outcomes(frame, compiled)
    halves = [_halves(decision) for decision in decisions]
    rules_review = frame["next_review_at"].dt.cast_time_unit("us")
    distinct = rules_review.drop_nulls().unique().to_list()
    texts = {value: repr(display_instant(value)) for value in distinct}
    instants = review_instants(population, areas, at)
    page = pl.DataFrame({OUTCOME: outcome, "review": rules_review}).select(
        pl.concat_str(
            pl.col(OUTCOME).replace_strict(range(len(halves)), [h[0] for h in halves]),
            pl.col("review")
            .replace_strict(texts, default=None, return_dtype=pl.String)
            .fill_null(repr(None)),
            pl.col(OUTCOME).replace_strict(range(len(halves)), [h[1] for h in halves]),
        ).alias("canonical"),
        pl.min_horizontal(
            pl.col("review"),
            instants[PENDING].dt.cast_time_unit("us"),
            instants[BOUNDARY].dt.cast_time_unit("us"),
        ).alias("stored_review"),
    )

    def decided(index: int) -> Decided:
        decision, review = decisions[outcome[index]], rules_review[index]
        if review is not None:
            decision = replace(decision, next_review_at=review)
        return Decided(decision, page["stored_review"][index])

    return DecidedPage(page["canonical"].to_list(), page["stored_review"].to_list(), decided)


def _halves(decision: Decision) -> tuple[str, str]:
    """The outcome's canonical fields before and after its next review."""
    fields = decision_fields(decision) | {"next_review_at": _REVIEW_MARK}
    before, after = canonical_fields(fields).split(repr(_REVIEW_MARK))
    return before, after


def _one(facts: Sequence[Fact], index: AreaIndex, rules: Ruleset, at: datetime) -> Decided:
    features = derive_features(facts, index, at)
    decision = decide(features, rules, at)
    review = _earliest(
        decision.next_review_at,
        _first_pending_fact(facts, at),
        index.next_boundary(features.stays, at),
    )
    return Decided(decision, review)


def _first_pending_fact(facts: Sequence[Fact], now: datetime) -> datetime | None:
    # A department may send a fact dated a little ahead (clocks differ): it counts from then.
    return min((fact.occurred_at for fact in facts if fact.occurred_at > now), default=None)


def _earliest(*instants: datetime | None) -> datetime | None:
    return min((instant for instant in instants if instant is not None), default=None)


# Label → (the ruleset, compiled or why not). A label names one document once approved, but a
# dry run may try a candidate under a stored label: the ruleset itself is compared on a hit.
_COMPILED: Recent[str, tuple[Ruleset, CompiledRuleset | RulesetError]] = Recent(8)


def compiled_ruleset(rules: Ruleset) -> CompiledRuleset | RulesetError:
    """The ruleset compiled for the columnar engine (once per process), or why it cannot be."""
    cached = _COMPILED.get(rules.label)
    if cached is not None and cached[0] == rules:
        return cached[1]
    try:
        compiled: CompiledRuleset | RulesetError = compile_ruleset(rules)
    except RulesetError as error:
        compiled = error
    _COMPILED.put(rules.label, (rules, compiled))
    return compiled


@dataclass(frozen=True, slots=True)
class _AreaLists:
    index: AreaIndex  # for the per-person path
    frame: Areas  # for the columnar one


AreaKey = tuple[tuple[RiskArea, ...], tuple[SevereDesignation, ...]]
_AREAS: Recent[AreaKey, _AreaLists] = Recent(4)


def _area_lists(uow: UnitOfWork) -> _AreaLists:
    """The stored areas, indexed and framed once for as long as they stay the same.

    Read again on every call (one query, as before): an area change re-evaluates in the unit of
    work that wrote it, so a frame kept for the unit of work could miss the change. What is kept
    is what the lists build, keyed by their content: every page of a population pass, and every
    call until the lists change, shares it.
    """
    risk, severe = uow.areas.listed()
    key = (tuple(risk), tuple(severe))
    lists = _AREAS.get(key)
    if lists is None:
        lists = _AreaLists(AreaIndex(risk, severe), areas_frame(risk, severe))
        _AREAS.put(key, lists)
    return lists

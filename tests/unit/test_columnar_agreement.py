"""The columnar population path decides exactly as the per-person path (issue #12, A5).

On random populations (facts of several persons in any order, retractions, random risk areas and
severe designations, random instants), on the bundled samples, and on every case of the
decision tests, which are re-run here with each of their decisions also made columnar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import test_corrections
import test_decisions
from hypothesis import given, settings

from builders import march
from columnar_check import both_paths
from healthcode.domain.areas import RiskArea, SevereDesignation
from healthcode.domain.facts import Fact
from healthcode.exchange import RecordError, read_facts, read_risk_areas, read_severe_designations
from strategies import instants, populations, risk_areas, severe_designations

SAMPLES = Path(__file__).parents[2] / "src" / "healthcode" / "samples"


@settings(max_examples=80, deadline=None)
@given(populations(), risk_areas(), severe_designations(), instants)
def test_both_paths_decide_alike_on_random_populations__A5(
    facts: list[Fact], areas: list[RiskArea], designations: list[SevereDesignation], at: datetime
) -> None:
    both_paths(facts, at, areas, designations)


def _kept(records: Any) -> list[Any]:
    return [record for record in records if not isinstance(record, RecordError)]


@pytest.mark.parametrize(
    "at", [march(1), march(16, 9), march(20), march(28), march(31) + timedelta(days=30)]
)
def test_both_paths_decide_alike_on_the_samples__A5(at: datetime) -> None:
    facts = _kept(read_facts(SAMPLES / "events.jsonl"))
    areas = _kept(read_risk_areas(SAMPLES / "risk_areas.jsonl"))
    designations = _kept(read_severe_designations(SAMPLES / "severe_areas.jsonl"))
    decisions = both_paths(facts, at, areas, designations)
    assert len(decisions) > 10


def _cases(module: ModuleType) -> Iterator[Any]:
    """Every test of a module with its parameters, as pytest would call it."""
    for name, test in vars(module).items():
        if not name.startswith("test_") or not callable(test):
            continue
        marks = [m for m in getattr(test, "pytestmark", []) if m.name == "parametrize"]
        if not marks:
            yield pytest.param(module, test, {}, id=name)
            continue
        names, values = marks[0].args[0], marks[0].args[1]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        for index, case in enumerate(values):
            given = case.values if hasattr(case, "values") else case
            given = given if len(names) > 1 else (given,)
            arguments = dict(zip(names, given, strict=True))
            yield pytest.param(module, test, arguments, id=f"{name}[{index}]")


def _agreeing(module: ModuleType, calls: list[object]) -> Callable[..., Any]:
    """The module's own `decide_at`, with each of its decisions also made columnar."""
    original = getattr(module, "decide_at")  # noqa: B009

    def decide_at(facts: Any, at: datetime | None = None, *args: Any, **kwargs: Any) -> Any:
        at = getattr(module, "AT") if at is None else at  # noqa: B009
        decision = original(facts, at, *args, **kwargs)
        areas = kwargs.get("areas", args[0] if args else ())
        designations = kwargs.get("designations", args[1] if len(args) > 1 else ())
        # No facts, no person: the columnar path then has nobody to decide for.
        both_paths(list(facts), at, areas, designations)
        calls.append(decision)
        return decision

    return decide_at


@pytest.mark.parametrize(
    ("module", "test", "arguments"), [*_cases(test_decisions), *_cases(test_corrections)]
)
def test_both_paths_decide_alike_on_the_decision_tests_cases__A5(
    module: ModuleType, test: Callable[..., None], arguments: dict[str, object]
) -> None:
    calls: list[object] = []
    original = getattr(module, "decide_at")  # noqa: B009 - a module attribute mypy cannot see
    setattr(module, "decide_at", _agreeing(module, calls))  # noqa: B010
    try:
        test(**arguments)
    finally:
        setattr(module, "decide_at", original)  # noqa: B010
    if "decide_at" in test.__code__.co_names:
        assert calls, "the case was not decided through decide_at"


def test_an_empty_population_has_no_decisions__A5() -> None:
    assert both_paths([], march(20)) == []

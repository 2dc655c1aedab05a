"""Benchmark: the columnar population engine against the per-person path and a bare Polars floor.

    .venv/bin/python bench/columnar.py [--persons 100000] [--seed 1] [--repeat 3]

On the same facts (bench/out/, made by population.py as for assess_population.py), read once and
put into columns once, times in turns:
(a) the floor: one hand-written Polars query of the features the default ruleset reads and the
    colour it gives (no explanation, no measure, no next review): what any columnar engine costs;
(b) the columnar engine: `population_features` + `decide_frame` (colour, rules, measure, flags
    and next review of everyone), then the `Decision` objects the CLI prints;
(c) the per-person path: `derive_features` + `decide` for each person.
The claim is the ratios within one run (the machine is shared), not the seconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

import polars as pl

import population
from assess_population import AT, Files, ensure_population, kept
from healthcode.domain.assessment import group_by_person
from healthcode.domain.columnar.decisions import decide_frame, decisions_of
from healthcode.domain.columnar.exposure import prefixes
from healthcode.domain.columnar.features import population_features, stays_of
from healthcode.domain.columnar.frames import (
    Areas,
    Population,
    areas_frame,
    instant,
    population_frame,
)
from healthcode.domain.columnar.rulesets import CompiledRuleset, compile_ruleset
from healthcode.domain.decisions import Decision, decide
from healthcode.domain.exposure import AreaIndex
from healthcode.domain.features import derive_features
from healthcode.exchange import read_facts, read_risk_areas, read_severe_designations
from healthcode.rulesets import default_ruleset


def floor(people: Population, areas: Areas, at: datetime) -> pl.DataFrame:
    """Colours of the default ruleset, hand-written: the least work that gives them."""
    now = instant(at)
    known = people.facts.filter(pl.col("occurred_at") <= now)
    withdrawn = known.filter(pl.col("type") == "retraction").select("person", event_id="retracts")
    facts = known.join(withdrawn, on=["person", "event_id"], how="anti").sort(
        "person", "occurred_at", "source", "event_id"
    )
    kind, start = pl.col("type"), pl.col("action") == "start"
    positive = (kind == "test") & (pl.col("result") == "positive")
    report = pl.col("action") == "report"
    parts = [
        _per_person(facts, kind == "diagnosis", status=pl.col("status").last()),
        _per_person(facts, (kind == "diagnosis") | positive, pending=(kind == "test").last()),
        _per_person(
            facts,
            kind == "isolation",
            isolated=start.last(),
            setting=pl.col("setting").filter(start).drop_nulls().last(),
        ),
        _per_person(facts, kind == "fever_clinic", fever=start.last()),
        _per_person(facts, kind == "home_observation", observed=start.last()),
        _per_person(
            facts,
            kind == "symptoms",
            open=report.last(),
            reported=pl.col("occurred_at").filter(report).last(),
        ),
        _per_person(
            facts,
            (kind == "test") & (pl.col("result") == "negative"),
            negative=pl.col("sampled_at").max(),
        ),
        *(
            _per_person(
                facts,
                (kind == "designation") & (pl.col("color").is_null() | (pl.col("color") == colour)),
                **{colour: start.last()},
            )
            for colour in ("red", "yellow", "green")
        ),
    ]
    state = pl.DataFrame({"person": range(len(people.persons))}, schema={"person": pl.UInt32})
    for part in parts:
        state = state.join(part, on="person", how="left")
    exposed = _exposure(facts, areas, now)
    state = state.join(exposed, on="person", how="left").fill_null(value=False)
    red = (
        pl.col("status").is_in(["confirmed", "suspected", "asymptomatic"])
        | pl.col("pending")
        | (pl.col("isolated") & pl.col("setting").is_in(["centralized", "home"]))
        | pl.col("fever")
        | pl.col("risk")
        | pl.col("severe")
        | pl.col("red")
    )
    symptomatic = pl.col("open") & ~(pl.col("negative") > pl.col("reported")).fill_null(value=False)
    yellow = symptomatic | pl.col("observed") | pl.col("yellow")
    colour = (
        pl.when(pl.col("green")).then(pl.lit("green")).when(red).then(pl.lit("red"))
        .when(yellow).then(pl.lit("yellow")).otherwise(pl.lit("green"))
    )  # fmt: skip
    return state.select("person", colour=colour)


def _per_person(facts: pl.DataFrame, which: pl.Expr, **columns: pl.Expr) -> pl.DataFrame:
    return facts.filter(which).group_by("person", maintain_order=True).agg(**columns)


def _exposure(facts: pl.DataFrame, areas: Areas, now: pl.Expr) -> pl.DataFrame:
    stays = stays_of(facts.filter(pl.col("type") == "trip"))
    on_codes = stays.join(prefixes(stays), on="region")
    risk = on_codes.join(areas.risk, left_on="prefix", right_on="area_region").filter(
        pl.col("area_from") <= now
    )
    ends = pl.min_horizontal("end", "area_to")
    begins = pl.max_horizontal("start", "area_from")
    risk = risk.filter((begins <= now) & (ends.is_null() | (ends > begins)))
    risky = risk.group_by("person").agg(
        risk=ends.is_null().any() | (now < ends.max() + pl.duration(days=14))
    )
    severe = on_codes.join(areas.severe, left_on="prefix", right_on="area_region")
    lookback = pl.duration(days=pl.col("lookback"))
    begins = pl.max_horizontal("start", pl.col("area_from") - lookback)
    severe = severe.filter(
        (pl.col("area_from") <= now)
        & (pl.col("area_to").is_null() | (pl.col("area_to") > now))
        & (begins <= now)
        & (ends.is_null() | (ends > begins))
    )
    red_until = pl.min_horizontal(ends + lookback, "area_to")
    flagged = severe.group_by("person").agg(
        severe=red_until.is_null().any() | (now < red_until.max())
    )
    return risky.join(flagged, on="person", how="full", coalesce=True)


def columnar(
    people: Population, areas: Areas, compiled: CompiledRuleset, at: datetime
) -> pl.DataFrame:
    return decide_frame(population_features(people, areas, at), compiled, at)


T = TypeVar("T")


def timed(work: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(population.DEFAULT_OUT))
    args = parser.parse_args()
    manifest = ensure_population(Path(args.out), args.persons, args.seed, regenerate=False)
    files = Files.inside(Path(args.out))
    at = datetime.fromisoformat(AT)
    risk = kept(read_risk_areas(files.areas), "--areas")
    designations = kept(read_severe_designations(files.severe), "--severe")
    by_person, _ = group_by_person(kept(read_facts(files.events), "--events"))
    to_columns, people = timed(lambda: population_frame(by_person))
    areas, index = areas_frame(risk, designations), AreaIndex(risk, designations)
    ruleset = default_ruleset()
    compiled = compile_ruleset(ruleset)
    times: dict[str, list[float]] = {"floor": [], "columnar": [], "decisions": [], "per-person": []}
    # One untimed pass of each: Polars' first query pays for its thread pool and allocations.
    floor(people, areas, at)
    columnar(people, areas, compiled, at)
    for round_number in range(1, args.repeat + 1):
        elapsed, bare = timed(lambda: floor(people, areas, at))
        times["floor"].append(elapsed)
        elapsed, frame = timed(lambda: columnar(people, areas, compiled, at))
        times["columnar"].append(elapsed)
        elapsed, decisions = timed(partial(decisions_of, frame, compiled))
        times["decisions"].append(elapsed)
        elapsed, reference = timed(
            lambda: [decide(derive_features(f, index, at), ruleset, at) for f in by_person.values()]
        )
        times["per-person"].append(elapsed)
        print(
            f"round {round_number}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()),
            file=sys.stderr,
        )
    _check(bare, decisions, reference)
    _report(manifest, len(by_person), to_columns, times)


def _check(bare: pl.DataFrame, decisions: list[Decision], reference: list[Decision]) -> None:
    """The engine decides as the per-person path and colours as the floor, or the bench stops."""
    colours = bare.sort("person")["colour"].to_list()
    engine = [(d.outcome, d.next_review_at) for d in decisions]
    if engine != [(d.outcome, d.next_review_at) for d in reference]:
        raise SystemExit("the engine and the per-person path disagree")
    wrong = [i for i, (d, c) in enumerate(zip(decisions, colours, strict=True)) if d.colour != c]
    if wrong:
        raise SystemExit(f"the floor gives other colours for persons {wrong[:5]}")


def _report(
    manifest: dict[str, object], persons: int, to_columns: float, times: dict[str, list[float]]
) -> None:
    print(
        f"Population: {persons:,} persons, {manifest['events']:,} events, "
        f"seed {manifest['seed']}, `--at {AT}`; {len(times['floor'])} rounds, in turns, medians.\n"
    )
    floor_time = statistics.median(times["floor"])
    floor_best = min(times["floor"])
    print(
        "| path | min (s) | median (s) | persons/s (median) | ÷ floor (median) "
        "| floor ÷ path (min, median) |"
    )
    print("|---|--:|--:|--:|--:|--:|")
    rows = {
        "bare Polars floor (features the default ruleset reads, colour)": times["floor"],
        "columnar engine (features, compiled rules, next review)": times["columnar"],
        "columnar engine + `Decision` objects (what the CLI prints)": [
            a + b for a, b in zip(times["columnar"], times["decisions"], strict=True)
        ],
        "per-person path (`derive_features` + `decide`)": times["per-person"],
    }
    for name, values in rows.items():
        middle, best = statistics.median(values), min(values)
        ratios = f"{middle / floor_time:.2f}× | {floor_best / best:.2f}, {floor_time / middle:.2f}"
        print(f"| {name} | {best:.2f} | {middle:.2f} | {persons / middle:,.0f} | {ratios} |")
    print(
        "\nPutting the facts into columns (`population_frame`, once, not in the rows above): "
        f"{to_columns:.2f} s."
    )


if __name__ == "__main__":
    main()

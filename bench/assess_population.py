"""Benchmark: `healthcode assess` on a synthetic population, against the floor of any JSONL tool.

    make bench
    .venv/bin/python bench/assess_population.py [--persons 100000] [--seed 1] [--repeat 3]

Generates the population into bench/out/ when it is missing, was made with other arguments, or
`--regenerate` is given. Then, in one run on one machine, times alternately (a) the baseline: a
fresh `python` reading events.jsonl and calling `json.loads` on every line, and (b) the real
command, `healthcode assess … --json > /dev/null`, each `--repeat` times. The machine is shared
and noisy, so the claim is the ratio assess ÷ baseline, not the seconds. Last, one in-process
run splits the time into phases. Everything is printed as Markdown for bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import population
from healthcode.domain.assessment import group_by_person
from healthcode.domain.decisions import decide
from healthcode.domain.exposure import AreaIndex
from healthcode.domain.features import derive_features
from healthcode.exchange import (
    RecordError,
    read_facts,
    read_risk_areas,
    read_severe_designations,
)
from healthcode.presenters import decision_json
from healthcode.rulesets import default_ruleset

T = TypeVar("T")

AT = "2021-03-20T12:00:00+08:00"
# What every JSON Lines tool has to do at least, in the same interpreter the command runs in.
BASELINE = """
import json, sys
with open(sys.argv[1], encoding="utf-8") as lines:
    for line in lines:
        json.loads(line)
"""


@dataclass(frozen=True)
class Files:
    events: Path
    areas: Path
    severe: Path

    @classmethod
    def inside(cls, folder: Path) -> Files:
        return cls(
            folder / "events.jsonl", folder / "risk_areas.jsonl", folder / "severe_areas.jsonl"
        )


def ensure_population(
    folder: Path, persons: int, seed: int, *, regenerate: bool
) -> dict[str, object]:
    manifest_path = folder / population.MANIFEST
    files = Files.inside(folder)
    if not regenerate and manifest_path.exists():
        manifest: dict[str, object] = json.loads(manifest_path.read_text(encoding="utf-8"))
        wanted = {
            "generator_version": population.GENERATOR_VERSION,
            "persons": persons,
            "seed": seed,
        }
        present = all(path.exists() for path in (files.events, files.areas, files.severe))
        if present and all(manifest.get(key) == value for key, value in wanted.items()):
            return manifest
    print(f"Generating {persons:,} persons (seed {seed}) into {folder} …", file=sys.stderr)
    return population.generate(folder, persons, seed)


def healthcode_command() -> list[str]:
    """The installed console script next to this interpreter, else the same entry point by hand."""
    script = Path(sys.executable).parent / "healthcode"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from healthcode.cli import main; sys.exit(main())"]


def run_timed(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own interpreter and console script, fixed arguments
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1:] or ["no message"]
        raise SystemExit(f"{command[0]} exited with {done.returncode}: {reason[0]}")
    return elapsed


def time_both(files: Files, repeat: int) -> tuple[list[float], list[float]]:
    """Baseline and assess run alternately, so that a noisy spell hits both alike."""
    baseline = [sys.executable, "-c", BASELINE, str(files.events)]
    assess = [
        *healthcode_command(), "assess",
        "--events", str(files.events), "--areas", str(files.areas), "--severe", str(files.severe),
        "--at", AT, "--json",
    ]  # fmt: skip
    baseline_times: list[float] = []
    assess_times: list[float] = []
    for round_number in range(1, repeat + 1):
        baseline_times.append(run_timed(baseline))
        assess_times.append(run_timed(assess))
        print(
            f"round {round_number}/{repeat}: baseline {baseline_times[-1]:.2f} s, "
            f"assess {assess_times[-1]:.2f} s",
            file=sys.stderr,
        )
    return baseline_times, assess_times


class Laps:
    """Consecutive phases of one run and how long each took."""

    def __init__(self) -> None:
        self.phases: list[tuple[str, float]] = []
        self._last = time.perf_counter()

    def done(self, phase: str) -> None:
        now = time.perf_counter()
        self.phases.append((phase, now - self._last))
        self._last = now


def kept(items: Iterable[T | RecordError], what: str) -> list[T]:
    """All records, or stop: the benchmark's population is valid, so a rejection is a bug."""
    good: list[T] = []
    for item in items:
        if isinstance(item, RecordError):
            raise SystemExit(f"{what}: rejected {item}")
        good.append(item)
    return good


def phases_in_process(files: Files) -> tuple[list[tuple[str, float]], Counter[str]]:
    """The pipeline of `healthcode assess`, step by step (assess_all = features + rules)."""
    at = datetime.fromisoformat(AT)
    laps = Laps()
    ruleset = default_ruleset()
    risk_areas = kept(read_risk_areas(files.areas), "--areas")
    designations = kept(read_severe_designations(files.severe), "--severe")
    index = AreaIndex(risk_areas, designations)
    laps.done("ruleset, area lists")
    facts = kept(read_facts(files.events), "--events")
    laps.done("read + validate events")
    by_person, conflicts = group_by_person(facts)
    if conflicts:
        raise SystemExit(f"--events: {len(conflicts)} conflicting event ids")
    laps.done("group by person")
    features = [derive_features(person_facts, index, at) for person_facts in by_person.values()]
    laps.done("features (incl. area exposure)")
    decisions = [decide(person_features, ruleset, at) for person_features in features]
    laps.done("rules (decide, next review)")
    for person, decision in zip(by_person, decisions, strict=True):
        json.dumps(decision_json(person, decision), ensure_ascii=False)
    laps.done("render JSON")
    return laps.phases, Counter(decision.colour.value for decision in decisions)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def seconds(value: float) -> str:
    return f"{value:.2f}"


def report(
    manifest: dict[str, object], files: Files, baseline: list[float], assess: list[float]
) -> None:
    persons = int(str(manifest["persons"]))
    size = files.events.stat().st_size / 1e6
    print(
        f"Population: {persons:,} persons, {int(str(manifest['events'])):,} events "
        f"({size:.0f} MB of JSON Lines), seed {manifest['seed']}, `--at {AT}`.  "
    )
    print(
        f"Machine: {os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; {len(assess)} runs each, alternating.\n"
    )
    floor = statistics.median(baseline)
    print("| run | min (s) | median (s) | persons/s (median) | ÷ baseline (median) |")
    print("|---|--:|--:|--:|--:|")
    for name, times in (
        ("baseline: `json.loads` of every line", baseline),
        ("`healthcode assess … --json > /dev/null`", assess),
    ):
        middle = statistics.median(times)
        print(
            f"| {name} | {seconds(min(times))} | {seconds(middle)} | "
            f"{persons / middle:,.0f} | {middle / floor:.1f}× |"
        )


def report_phases(phases: list[tuple[str, float]], colours: Counter[str]) -> None:
    total = sum(elapsed for _, elapsed in phases)
    print("\n| phase (one in-process run) | s | share |")
    print("|---|--:|--:|")
    for name, elapsed in phases:
        print(f"| {name} | {seconds(elapsed)} | {elapsed / total:.0%} |")
    print(f"| **total** | **{seconds(total)}** | 100% |")
    shown = ", ".join(f"{colour} {colours[colour]:,}" for colour in ("green", "yellow", "red"))
    print(f"\nDecisions: {shown}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (default 3)")
    parser.add_argument("--out", type=Path, default=population.DEFAULT_OUT)
    parser.add_argument("--regenerate", action="store_true", help="make the population again")
    parser.add_argument("--no-phases", action="store_true", help="skip the in-process breakdown")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    manifest = ensure_population(args.out, args.persons, args.seed, regenerate=args.regenerate)
    files = Files.inside(args.out)
    baseline, assess = time_both(files, args.repeat)
    report(manifest, files, baseline, assess)
    if not args.no_phases:
        report_phases(*phases_in_process(files))


if __name__ == "__main__":
    main()

"""`healthcode assess`: facts from files, decisions on standard output (SPEC §2)."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from healthcode.cli.choices import parse_instant
from healthcode.cli.errors import EXIT_BAD_INPUT, BadInputError, warn
from healthcode.domain.assessment import Assessment, group_by_person
from healthcode.domain.columnar.decisions import assess_population
from healthcode.domain.columnar.frames import Areas, areas_frame, population_frame
from healthcode.domain.columnar.rulesets import CompiledRuleset, compile_ruleset
from healthcode.domain.documents import RulesetError
from healthcode.domain.facts import Fact, PersonKey
from healthcode.domain.identity import mask_id_number
from healthcode.domain.rules import Ruleset
from healthcode.domain.timezones import display_instant
from healthcode.exchange import (
    InputUnusable,
    RecordError,
    read_facts,
    read_risk_areas,
    read_severe_designations,
)
from healthcode.presenters import decision_json
from healthcode.rulesets import default_ruleset, load_ruleset

T = TypeVar("T")

OptionalFile = Annotated[Path | None, typer.Option(dir_okay=False, show_default=False)]


def assess(
    events: Annotated[Path, typer.Option("--events", help="Facts: JSONL, JSON or CSV.")],
    at: Annotated[str, typer.Option("--at", help="The instant, ISO 8601 with offset.")],
    areas: OptionalFile = None,
    severe: OptionalFile = None,
    ruleset: OptionalFile = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON lines, even on a terminal.")
    ] = False,
    explain: Annotated[bool, typer.Option(help="Add reasons and how to turn green.")] = False,
) -> int:
    instant = parse_instant(at, "--at")
    rules = _compiled(_ruleset(ruleset))
    rejects = Rejects()
    index = areas_frame(
        rejects.read(read_risk_areas, areas, "--areas"),
        rejects.read(read_severe_designations, severe, "--severe"),
    )
    by_person, conflicts = group_by_person(rejects.read(read_facts, events, "--events"))
    for conflict in conflicts:
        rejects.report(
            f"--events: rejected event_id {conflict.fact.event_id}: source, event_id: "
            "already seen with other content; the first is kept"
        )
    # Every fact lives until the end of the run: spare the garbage collector rescanning them all.
    gc.freeze()
    assessments = _assessments(by_person, index, rules, instant)
    if as_json or not sys.stdout.isatty():
        _print_json(assessments, explain=explain)
    else:
        _print_table(assessments)
    # Bad records are bad input (SPEC §2: exit 2), even though the good ones were assessed.
    return EXIT_BAD_INPUT if rejects.count else 0


class Rejects:
    """Reads an input file completely, reporting each rejected record as one line."""

    def __init__(self) -> None:
        self.count = 0

    def report(self, line: str) -> None:
        self.count += 1
        warn(line)

    def read(
        self, reader: Callable[[Path], Iterable[T | RecordError]], path: Path | None, option: str
    ) -> list[T]:
        if path is None:
            return []
        kept: list[T] = []
        try:
            for record in reader(path):
                if isinstance(record, RecordError):
                    self.report(f"{option}: rejected {record}")
                else:
                    kept.append(record)
        except InputUnusable as error:
            raise BadInputError(f"{option}: {error}") from None
        return kept


def _ruleset(path: Path | None) -> Ruleset:
    try:
        return default_ruleset() if path is None else load_ruleset(path)
    except RulesetError as error:
        raise BadInputError(f"--ruleset: {error}") from None


def _compiled(rules: Ruleset) -> CompiledRuleset:
    # Refused before any fact is read: a ruleset is decided columnar throughout or not at all.
    try:
        return compile_ruleset(rules)
    except RulesetError as error:
        raise BadInputError(f"--ruleset: {error}") from None


def _assessments(
    by_person: dict[PersonKey, list[Fact]], areas: Areas, rules: CompiledRuleset, at: datetime
) -> list[Assessment]:
    """The whole population decided columnar; the decisions carry their rules for --explain."""
    decisions = assess_population(population_frame(by_person), areas, rules, at)
    return [
        Assessment(person, decision) for person, decision in zip(by_person, decisions, strict=True)
    ]


def _print_json(assessments: Iterable[Assessment], *, explain: bool) -> None:
    out = sys.stdout
    for item in assessments:
        out.write(
            json.dumps(
                decision_json(item.person, item.decision, explain=explain), ensure_ascii=False
            )
        )
        out.write("\n")


_COLOUR_STYLE = {
    "green": "bold white on green",
    "yellow": "bold black on yellow",
    "red": "bold white on red",
}


def _print_table(assessments: Iterable[Assessment]) -> None:
    table = Table("证件 ID", "颜色 Colour", "规则 Rules", "措施 Measure", "复核 Next review")
    for item in assessments:
        decision = item.decision
        colour = decision.colour.value
        table.add_row(
            mask_id_number(item.person.id_number),
            f"[{_COLOUR_STYLE[colour]}] {colour} [/]",
            ", ".join(decision.rules) or "—",
            decision.measure or "—",
            display_instant(decision.next_review_at) or "—",
        )
    Console().print(table)

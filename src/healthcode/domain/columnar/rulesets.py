"""A ruleset compiled once for the population path; refused, located, if any part cannot be.

Refusing the whole ruleset (rather than evaluating some rules per person) keeps one answer to
"how was this decided" for a run: a ruleset that compiles is decided columnar throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from healthcode.domain.columnar.compiler import compile_expression
from healthcode.domain.columnar.nodes import NEVER, Kind, Node, UncompilableError, truth
from healthcode.domain.documents import RulesetError
from healthcode.domain.rules import Rule, Ruleset


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    fires: pl.Expr
    fails: pl.Expr


@dataclass(frozen=True, slots=True)
class CompiledRuleset:
    ruleset: Ruleset
    overrides: tuple[CompiledRule, ...]
    rules: tuple[CompiledRule, ...]
    # The date-times compared with `now` anywhere in the rules: where a decision can flip.
    flips: tuple[Node, ...]


def compile_ruleset(ruleset: Ruleset) -> CompiledRuleset:
    """Compile every condition; raises RulesetError at the first part that has no columnar form."""
    try:
        return CompiledRuleset(
            ruleset,
            tuple(_rule(rule, f"overrides[{i}]") for i, rule in enumerate(ruleset.overrides)),
            tuple(_rule(rule, f"rules[{i}]") for i, rule in enumerate(ruleset.rules)),
            tuple(_flips(ruleset)),
        )
    except UncompilableError as error:
        raise RulesetError(error.where, f"no columnar form: {error.reason}") from None


def _rule(rule: Rule, where: str) -> CompiledRule:
    tested = truth(compile_expression(rule.condition, f"{where} ({rule.id}).condition"))
    return CompiledRule(rule, tested.value & ~tested.fails, tested.fails)


def _flips(ruleset: Ruleset) -> list[Node]:
    nodes = []
    for rule in ruleset.all_rules:
        for operand in rule.compared_with_now:
            node = compile_expression(operand, f"({rule.id}) compared with now")
            # Only a date-time can be an instant to review at; anything else never flips.
            if node.kind is Kind.DATE_TIME:
                nodes.append(node)
    return nodes


def failures(compiled: CompiledRuleset) -> list[tuple[str, pl.Expr]]:
    """(rule id, where its evaluation raises): overrides only until one fires, rules always."""
    found: list[tuple[str, pl.Expr]] = []
    none_fired: pl.Expr = pl.lit(value=True)
    for override in compiled.overrides:
        if override.fails is not NEVER:
            found.append((override.rule.id, none_fired & override.fails))
        none_fired = none_fired & ~override.fires
    found += [(rule.rule.id, rule.fails) for rule in compiled.rules if rule.fails is not NEVER]
    return found

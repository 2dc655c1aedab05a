"""The outcome of a decision as columns: what must match for two decisions to be the same.

`override` is the index of the first override that fired (null if none); `rule_i` whether rule i
fired and counts (under an override only flag rules do, as in `decide`). Colour, rules, measure
and flags are all functions of these columns.
"""

from __future__ import annotations

import polars as pl

from healthcode.certlogic import CertLogicError
from healthcode.domain.columnar.rulesets import CompiledRuleset, failures

OVERRIDE = "override"


def outcome_columns(compiled: CompiledRuleset) -> list[pl.Expr]:
    """`override` (index or null) and `rule_i` (fired and counted) for each rule."""
    firsts = [pl.when(o.fires).then(pl.lit(i)) for i, o in enumerate(compiled.overrides)]
    override = pl.coalesce(firsts) if firsts else pl.lit(None, dtype=pl.Int32)
    counted = [
        rule.fires if rule.rule.flag is not None else rule.fires & override.is_null()
        for rule in compiled.rules
    ]
    return [override.alias(OVERRIDE), *(c.alias(f"rule_{i}") for i, c in enumerate(counted))]


def outcome_names(compiled: CompiledRuleset) -> list[str]:
    return [OVERRIDE, *(f"rule_{i}" for i in range(len(compiled.rules)))]


def check_failures(frame: pl.DataFrame, compiled: CompiledRuleset) -> None:
    """Raise CertLogicError where the per-person path would have raised on these rows."""
    for rule_id, fails in failures(compiled):
        if frame.select(fails.any()).item():
            raise CertLogicError(f"rule {rule_id}: a type mismatch during evaluation")

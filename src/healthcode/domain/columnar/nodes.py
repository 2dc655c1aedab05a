"""What a compiled CertLogic (sub-)expression is: a Polars value, its CertLogic type, and where
per-person evaluation would have raised.

CertLogic raises on a type mismatch met during evaluation (a `plusTime` of null, a date-time
tested for truth) and never on a branch it does not reach. `fails` carries that row by row, so
the population path raises exactly where `decide` would, and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import polars as pl


class Kind(Enum):
    BOOL = "boolean"
    INT = "integer"
    STRING = "string"
    INSTANT = "instant string"  # a feature instant: an ISO string to the rules, a datetime here
    DATE_TIME = "date-time"  # what `plusTime` yields
    LIST = "array"
    NULL = "null"
    TRUTH = "truth value"  # of an `and`/`if` over mixed types: fit only to be tested for truth


class UncompilableError(ValueError):
    """A (sub-)expression the population path cannot compile; `where` is its place."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


NEVER = pl.lit(value=False)
ALWAYS = pl.lit(value=True)


@dataclass(frozen=True, slots=True)
class Node:
    value: pl.Expr
    kind: Kind
    fails: pl.Expr = NEVER
    # The items of a literal array, for `in`; None for anything else.
    items: tuple[object, ...] | None = None


def truth(node: Node) -> Node:
    """CertLogic truthiness; a date-time is neither truthy nor falsy, so testing it raises."""
    value = node.value
    match node.kind:
        case Kind.BOOL | Kind.TRUTH:
            tested = value.fill_null(value=False)
        case Kind.INT:
            tested = value.fill_null(0) != 0
        case Kind.STRING:
            tested = value.is_not_null() & (value.str.len_bytes() > 0)
        case Kind.INSTANT:
            tested = value.is_not_null()
        case Kind.LIST:
            tested = value.list.len().fill_null(0) > 0
        case Kind.NULL:
            tested = NEVER
        case Kind.DATE_TIME:
            return Node(NEVER, Kind.BOOL, ALWAYS)
    return Node(tested, Kind.BOOL, node.fails)


def either(*conditions: pl.Expr) -> pl.Expr:
    """Any of the conditions, with constant `NEVER`s left out (they are the common case)."""
    kept = [condition for condition in conditions if condition is not NEVER]
    if not kept:
        return NEVER
    return kept[0] if len(kept) == 1 else pl.any_horizontal(kept)

"""CertLogic conditions compiled to Polars expressions over the feature columns.

Supported: literals (boolean, integer, string, arrays of them), `var` of a feature path (an
unknown path is null, as in the evaluator), `if`, `and`, `!`, `===`, `in`, `+`, `<` `>` `<=` `>=`,
`before` `after` `not-before` `not-after` (binary and ternary), `plusTime` by `hour` or `day` (by
`month`/`year` only with 0) on a feature instant, a literal date or `now`. Anything else
(`reduce`, `dccDateOfBirth`, `extractFromUVCI`, a `var` naming a group of features, a `plusTime`
by months) raises `UncompilableError` naming where in the expression it stands: the ruleset is
refused for the population path as a whole rather than evaluated two ways.
"""

from __future__ import annotations

import operator as op
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import polars as pl

from healthcode.certlogic import CertLogicError
from healthcode.certlogic.datetimes import plus_time
from healthcode.domain.columnar.features import FEATURE_TYPES, RULE_INSTANT
from healthcode.domain.columnar.nodes import (
    ALWAYS,
    NEVER,
    Kind,
    Node,
    UncompilableError,
    either,
    truth,
)
from healthcode.domain.columnar.operators import equals, is_in

_KIND_OF_TYPE: dict[Any, Kind] = {pl.Boolean: Kind.BOOL, pl.Int64: Kind.INT, pl.String: Kind.STRING}
_GROUPS = frozenset(path.rsplit(".", 1)[0] for path in FEATURE_TYPES)
_ORDERINGS: dict[str, tuple[Callable[[Any, Any], Any], Kind]] = {
    "<": (op.lt, Kind.INT),
    ">": (op.gt, Kind.INT),
    "<=": (op.le, Kind.INT),
    ">=": (op.ge, Kind.INT),
    "before": (op.lt, Kind.DATE_TIME),
    "after": (op.gt, Kind.DATE_TIME),
    "not-before": (op.ge, Kind.DATE_TIME),
    "not-after": (op.le, Kind.DATE_TIME),
}
NOW = "now"  # the column that holds the instant of the decision (or of a review candidate)


def compile_expression(expression: object, where: str) -> Node:
    """The Polars form of a (validated) CertLogic expression; `where` locates refusals."""
    if isinstance(expression, dict):
        ((operator, operands),) = expression.items()
        return _operation(str(operator), operands, f"{where}.{operator}")
    if isinstance(expression, bool):
        return Node(pl.lit(expression), Kind.BOOL)
    if isinstance(expression, int):
        return Node(pl.lit(expression, dtype=pl.Int64), Kind.INT)
    if isinstance(expression, str):
        return Node(pl.lit(expression, dtype=pl.String), Kind.STRING)
    if isinstance(expression, list) and all(_is_scalar(item) for item in expression):
        return Node(pl.lit(value=True), Kind.LIST, items=tuple(expression))
    raise UncompilableError(where, f"cannot compile the literal {expression!r}")


def _is_scalar(item: object) -> bool:
    return isinstance(item, bool | int | str)


def _operation(operator: str, operands: Any, where: str) -> Node:
    if operator == "var":
        return _var(operands, where)
    compile_operation = _OPERATIONS.get(operator)
    if compile_operation is not None:
        return compile_operation(operands, where)
    if operator in _ORDERINGS:
        return _ordering(operator, operands, where)
    raise UncompilableError(where, f'"{operator}" has no columnar form')


def _var(path: object, where: str) -> Node:
    if not isinstance(path, str) or path == NOW or path in _GROUPS or path == "":
        raise UncompilableError(where, f"cannot read {path!r} as one feature column")
    kind = FEATURE_TYPES.get(path)
    if kind is None:
        return Node(pl.lit(None), Kind.NULL)  # the evaluator reads an unknown path as null
    if kind == RULE_INSTANT:
        return Node(pl.col(path), Kind.INSTANT)
    if isinstance(kind, pl.List):
        return Node(pl.col(path), Kind.LIST)
    return Node(pl.col(path), _KIND_OF_TYPE[kind])


def _operands(operands: Any, where: str) -> list[Node]:
    return [compile_expression(item, f"{where}[{i}]") for i, item in enumerate(operands)]


def _if(operands: Any, where: str) -> Node:
    guard, then, otherwise = _operands(operands, where)
    tested = truth(guard)
    fails = either(tested.fails, tested.value & then.fails, ~tested.value & otherwise.fails)
    if then.kind is otherwise.kind and then.kind is not Kind.LIST:
        value = pl.when(tested.value).then(then.value).otherwise(otherwise.value)
        return Node(value, then.kind, fails)
    then, otherwise = truth(then), truth(otherwise)
    value = pl.when(tested.value).then(then.value).otherwise(otherwise.value)
    # Testing the chosen branch for truth is the consumer's business, but so is its failure.
    fails = either(fails, tested.value & then.fails, ~tested.value & otherwise.fails)
    return Node(value, Kind.TRUTH, fails)


def _and(operands: Any, where: str) -> Node:
    nodes = _operands(operands, where)
    all_bool = all(node.kind is Kind.BOOL for node in nodes)
    reached: pl.Expr = ALWAYS
    fails: list[pl.Expr] = []
    for node in map(truth, nodes):
        # An operand is evaluated (and may raise) only when every earlier one was truthy.
        fails.append(node.fails if reached is ALWAYS else reached & node.fails)
        reached = node.value if reached is ALWAYS else reached & node.value
    return Node(reached, Kind.BOOL if all_bool else Kind.TRUTH, either(*fails))


def _not(operands: Any, where: str) -> Node:
    (node,) = _operands(operands, where)
    tested = truth(node)
    return Node(~tested.value, Kind.BOOL, tested.fails)


def _equals(operands: Any, where: str) -> Node:
    left, right = _operands(operands, where)
    return equals(left, right, where)


def _in(operands: Any, where: str) -> Node:
    needle, haystack = _operands(operands, where)
    return is_in(needle, haystack, where)


def _plus(operands: Any, where: str) -> Node:
    left, right = _operands(operands, where)
    fails = either(left.fails, right.fails)
    if left.kind is Kind.INT and right.kind is Kind.INT:
        return Node(left.value + right.value, Kind.INT, fails)
    return Node(pl.lit(0, dtype=pl.Int64), Kind.INT, ALWAYS)


def _ordering(operator: str, operands: Any, where: str) -> Node:
    compare, accepted = _ORDERINGS[operator]
    nodes = _operands(operands, where)
    # Every operand is evaluated before any is checked, as in the evaluator.
    fails = either(*(node.fails for node in nodes))
    if any(node.kind is not accepted for node in nodes):
        return Node(NEVER, Kind.BOOL, ALWAYS)
    value = compare(nodes[0].value, nodes[1].value)
    if len(nodes) == 3:
        value = value & compare(nodes[1].value, nodes[2].value)
    return Node(value, Kind.BOOL, fails)


def _plus_time(operands: Any, where: str) -> Node:
    subject, amount, unit = operands
    if subject == {"var": NOW}:
        return _shifted(Node(pl.col(NOW), Kind.INSTANT), amount, unit, where)
    if isinstance(subject, str):
        return _literal_time(subject, amount, unit, where)
    return _shifted(compile_expression(subject, f"{where}[0]"), amount, unit, where)


def _literal_time(text: str, amount: int, unit: str, where: str) -> Node:
    try:
        value = plus_time(text, amount, unit)
    except CertLogicError as error:
        raise UncompilableError(where, str(error)) from None
    return Node(pl.lit(value, dtype=RULE_INSTANT), Kind.DATE_TIME)


def _shifted(subject: Node, amount: int, unit: str, where: str) -> Node:
    if subject.kind is Kind.NULL:
        return Node(pl.lit(None, dtype=RULE_INSTANT), Kind.DATE_TIME, ALWAYS)
    if subject.kind is not Kind.INSTANT:
        raise UncompilableError(where, f"plusTime of a {subject.kind.value}: not an instant")
    if unit in ("month", "year") and amount != 0:
        raise UncompilableError(where, f"plusTime by {unit}s has no columnar form")
    step = timedelta(hours=amount) if unit == "hour" else timedelta(days=amount)
    if unit in ("month", "year"):
        step = timedelta(0)
    value = subject.value + step if step else subject.value
    # A null instant is no string: the evaluator raises there.
    return Node(value, Kind.DATE_TIME, either(subject.fails, subject.value.is_null()))


_OPERATIONS: dict[str, Callable[[Any, str], Node]] = {
    "if": _if,
    "and": _and,
    "!": _not,
    "===": _equals,
    "in": _in,
    "+": _plus,
    "plusTime": _plus_time,
}

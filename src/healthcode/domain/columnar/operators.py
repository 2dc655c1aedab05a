"""`===` and `in` over compiled operands, with CertLogic's strict (type-exact) equality.

Values of different CertLogic types are never equal (`1` is not `true`); null equals only null.
A feature instant is a string to the rules, so it equals a string only in its ISO form.
"""

from __future__ import annotations

import polars as pl

from healthcode.domain.columnar.nodes import ALWAYS, NEVER, Kind, Node, UncompilableError, either

_ISO = "%Y-%m-%dT%H:%M:%S%.3fZ"
_TEXT = (Kind.STRING, Kind.INSTANT)
_UNCOMPARABLE = (Kind.TRUTH, Kind.LIST)


def _as_text(node: Node) -> pl.Expr:
    return node.value.dt.strftime(_ISO) if node.kind is Kind.INSTANT else node.value


def equals(left: Node, right: Node, where: str) -> Node:
    fails = either(left.fails, right.fails)
    if left.kind in _UNCOMPARABLE or right.kind in _UNCOMPARABLE:
        raise UncompilableError(
            where, "=== of an array or a mixed-type and/if has no columnar form"
        )
    if left.kind is Kind.NULL or right.kind is Kind.NULL:
        other = right if left.kind is Kind.NULL else left
        return Node(other.value.is_null(), Kind.BOOL, fails)
    if left.kind in _TEXT and right.kind in _TEXT:
        if left.kind is right.kind:
            return Node(left.value.eq_missing(right.value), Kind.BOOL, fails)
        return Node(_as_text(left).eq_missing(_as_text(right)), Kind.BOOL, fails)
    if left.kind is not right.kind:
        # Different types: never equal; but a nullable column is still null to `=== null` only.
        return Node(NEVER, Kind.BOOL, fails)
    return Node(left.value.eq_missing(right.value), Kind.BOOL, fails)


def is_in(needle: Node, haystack: Node, where: str) -> Node:
    fails = either(needle.fails, haystack.fails)
    if needle.kind in _UNCOMPARABLE:
        raise UncompilableError(where, "the needle of `in` must be a single value")
    if haystack.kind is not Kind.LIST:
        return Node(NEVER, Kind.BOOL, ALWAYS)  # the evaluator raises: not an array
    if haystack.items is not None:
        return Node(_in_literal(needle, haystack.items), Kind.BOOL, fails)
    # Array features hold strings only.
    if needle.kind not in _TEXT:
        return Node(NEVER, Kind.BOOL, fails)
    found = haystack.value.list.contains(_as_text(needle))
    return Node(needle.value.is_not_null() & found.fill_null(value=False), Kind.BOOL, fails)


def _in_literal(needle: Node, items: tuple[object, ...]) -> pl.Expr:
    wanted = {Kind.BOOL: bool, Kind.INT: int, Kind.STRING: str, Kind.INSTANT: str}.get(needle.kind)
    same = [item for item in items if type(item) is wanted]
    if not same:
        return NEVER
    return _as_text(needle).is_in(same).fill_null(value=False)

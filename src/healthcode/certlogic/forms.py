"""The shape of CertLogic expressions, judged without evaluating anything.

Shared by the validator (which reports every problem) and the evaluator (which raises on
the first problem it meets), so both word each problem identically. The wording of the
messages the validation test suite asserts is fixed by that suite.
"""

import sys
from collections.abc import Callable
from functools import lru_cache
from typing import Final

from healthcode.certlogic.datetimes import TIME_UNITS
from healthcode.certlogic.values import describe, is_integer

INVALID_EXPRESSION: Final = "invalid CertLogic expression"
NOT_AN_OPERATION: Final = 'operation not of the form { "<operator>": [ <values...> ] }'
NOT_A_VAR: Final = 'not of the form { "var": "<path>" }'
BAD_PATH: Final = "data access path doesn't have a valid format: "

COMPARISONS: Final = ("<", ">", "<=", ">=", "after", "before", "not-after", "not-before")

_UNBOUNDED: Final = sys.maxsize

# Operator -> (fewest, most) operands; every operator except `var` is in here.
ARITIES: Final[dict[str, tuple[int, int]]] = {
    "if": (3, 3),
    "and": (2, _UNBOUNDED),
    "===": (2, 2),
    "in": (2, 2),
    "+": (2, 2),
    **dict.fromkeys(COMPARISONS, (2, 3)),
    "!": (1, 1),
    "plusTime": (3, 3),
    "dccDateOfBirth": (1, 1),
    "reduce": (3, 3),
    "extractFromUVCI": (2, 2),
}

# Operands that are literals, not expressions: the schema makes them so.
_LITERAL_OPERANDS_FROM: Final = {"plusTime": 1, "extractFromUVCI": 1}

PathSteps = tuple[tuple[str, int | None], ...]


@lru_cache(maxsize=4096)
def path_steps(path: str) -> PathSteps | None:
    """Split a `var` path into (object key, array index) steps; None if malformed.

    A valid path is `""` (the whole data context) or non-empty fragments joined by dots.
    """
    if path == "":
        return ()
    fragments = path.split(".")
    if "" in fragments:
        return None
    return tuple(
        (fragment, int(fragment) if fragment.isascii() and fragment.isdigit() else None)
        for fragment in fragments
    )


def literal_problem(expression: object) -> str | None:
    """Why a non-object, non-array expression is not a valid literal, if it is not."""
    if isinstance(expression, str | bool) or is_integer(expression):
        return None
    if isinstance(expression, float):
        return f"{expression!r} is a non-integer number"
    return INVALID_EXPRESSION


def key_count_problem(count: int) -> str:
    return f"expression object must have exactly one key, but it has {count}"


def var_problem(path: object) -> str | None:
    if not isinstance(path, str):
        return NOT_A_VAR
    if path_steps(path) is None:
        return BAD_PATH + path
    return None


def _arity_problem(operator: str, count: int) -> str | None:
    fewest, most = ARITIES[operator]
    if fewest <= count <= most:
        return None
    if fewest == most:
        expected = f"exactly {fewest}"
    elif most == _UNBOUNDED:
        expected = f"at least {fewest}"
    else:
        expected = f"{fewest} or {most}"
    return f'"{operator}" operation must have {expected} operands, but it has {count}'


def plus_time_literals_problem(operands: list[object]) -> str | None:
    if not is_integer(operands[1]):
        amount = describe(operands[1])
        return f'"plusTime": amount (operand #2) must be an integer literal, not {amount}'
    if not (isinstance(operands[2], str) and operands[2] in TIME_UNITS):
        units = ", ".join(f'"{unit}"' for unit in TIME_UNITS)
        unit = describe(operands[2])
        return f'"plusTime": time unit (operand #3) must be one of {units}, not {unit}'
    return None


def extract_literals_problem(operands: list[object]) -> str | None:
    if not is_integer(operands[1]):
        return (
            f'"extractFromUVCI": index (operand #2) must be an integer literal, '
            f"not {describe(operands[1])}"
        )
    return None


_LITERALS_CHECKS: Final[dict[str, Callable[[list[object]], str | None]]] = {
    "plusTime": plus_time_literals_problem,
    "extractFromUVCI": extract_literals_problem,
}


def operation_problem(operator: object, operands: object) -> str | None:
    """The first structural problem of `{operator: operands}`, checked in a fixed order."""
    if operator == "var":
        return var_problem(operands)
    if not isinstance(operands, list):
        return NOT_AN_OPERATION
    if not isinstance(operator, str) or operator not in ARITIES:
        return f'unrecognised operator: "{operator}"'
    arity = _arity_problem(operator, len(operands))
    if arity is not None or operator not in _LITERALS_CHECKS:
        return arity
    return _LITERALS_CHECKS[operator](operands)


def expression_operands(operator: object, operands: object) -> list[object]:
    """The operands of a recognised operation that are themselves expressions."""
    if not isinstance(operator, str) or operator not in ARITIES or not isinstance(operands, list):
        return []
    return operands[: _LITERAL_OPERANDS_FROM.get(operator, len(operands))]

"""The CertLogic evaluator: a direct tree walk with a dict dispatch on the operator.

No compilation step: rule sets are evaluated for many data contexts, and the walk with
cached path splitting and date-time parsing is fast enough without one, while a cache
keyed on expression identity would go stale if a caller mutated an expression.
"""

import operator as op
from collections.abc import Callable
from typing import Any, Final, NoReturn

from healthcode.certlogic import forms
from healthcode.certlogic.datetimes import TIME_UNITS, dcc_date_of_birth, plus_time
from healthcode.certlogic.errors import CertLogicError
from healthcode.certlogic.values import (
    boolsiness,
    describe,
    is_date_time,
    is_integer,
    strict_equals,
)

Handler = Callable[[list[object], object], object]

# `/`, `#` and `:` all separate UCI fragments; mapping two onto the third lets str.split do it.
_UCI_SEPARATORS: Final = str.maketrans("/#", "::")


def evaluate(expression: object, data: object) -> object:
    """Evaluate a CertLogic expression against a data context (both JSON values).

    Raises CertLogicError for an invalid (sub-)expression met during evaluation, or a type
    mismatch between an operation and the values its operands evaluate to.
    """
    try:
        return _eval(expression, data)
    except RecursionError:
        raise CertLogicError("expression or data nested too deeply to evaluate") from None


def _reject(operator: object, operands: object) -> NoReturn:
    problem = forms.operation_problem(operator, operands)
    raise CertLogicError(problem or f'invalid "{operator}" operation')


def _eval(expression: object, data: object) -> object:
    if isinstance(expression, dict):
        try:
            ((operator, operands),) = expression.items()
        except ValueError:
            raise CertLogicError(forms.key_count_problem(len(expression))) from None
        if operator == "var":
            return _access(data, operands)
        entry = _DISPATCH.get(operator)
        if entry is None or not isinstance(operands, list):
            _reject(operator, operands)
        fewest, most, handler = entry
        if not fewest <= len(operands) <= most:
            _reject(operator, operands)
        return handler(operands, data)
    if isinstance(expression, str | int):
        return expression
    if isinstance(expression, list):
        return [_eval(item, data) for item in expression]
    problem = forms.literal_problem(expression)
    if problem is None or problem == forms.INVALID_EXPRESSION:
        problem = f"{forms.INVALID_EXPRESSION}: {describe(expression)}"
    raise CertLogicError(problem)


def _access(data: object, path: object) -> object:
    steps = forms.path_steps(path) if isinstance(path, str) else None
    if steps is None:
        raise CertLogicError(forms.var_problem(path) or forms.NOT_A_VAR)
    value = data
    for key, index in steps:
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and index is not None and index < len(value):
            value = value[index]
        else:
            return None
    return value


def _neither(operator: str, role: str, value: object) -> CertLogicError:
    return CertLogicError(
        f'"{operator}": {role} evaluated to {describe(value)}, which is neither truthy nor falsy'
    )


def _if(operands: list[object], data: object) -> object:
    guard = _eval(operands[0], data)
    truth = boolsiness(guard)
    if truth is None:
        raise _neither("if", "guard (operand #1)", guard)
    return _eval(operands[1] if truth else operands[2], data)


def _and(operands: list[object], data: object) -> object:
    value: object = None
    for position, operand in enumerate(operands, 1):
        value = _eval(operand, data)
        truth = boolsiness(value)
        if truth is None:
            raise _neither("and", f"operand #{position}", value)
        if not truth:
            return value
    return value


def _not(operands: list[object], data: object) -> object:
    value = _eval(operands[0], data)
    truth = boolsiness(value)
    if truth is None:
        raise _neither("!", "operand", value)
    return not truth


def _equals(operands: list[object], data: object) -> object:
    return strict_equals(_eval(operands[0], data), _eval(operands[1], data))


def _in(operands: list[object], data: object) -> object:
    needle = _eval(operands[0], data)
    haystack = _eval(operands[1], data)
    if not isinstance(haystack, list):
        raise CertLogicError(
            f'"in": right-hand operand must evaluate to an array, not {describe(haystack)}'
        )
    return any(strict_equals(needle, item) for item in haystack)


def _plus(operands: list[object], data: object) -> object:
    left = _eval(operands[0], data)
    right = _eval(operands[1], data)
    if type(left) is not int or type(right) is not int:
        raise CertLogicError(
            f'"+": both operands must be integers, not {describe(left)} and {describe(right)}'
        )
    return left + right


_INTEGERS: Final = (is_integer, "integers")
_DATE_TIMES: Final = (is_date_time, "date-times")


def _comparison(
    operator: str,
    compare: Callable[[Any, Any], bool],
    operand_type: tuple[Callable[[object], bool], str],
) -> Handler:
    accepts, kind = operand_type

    def handler(operands: list[object], data: object) -> object:
        values = [_eval(operand, data) for operand in operands]
        for value in values:
            if not accepts(value):
                raise CertLogicError(
                    f'"{operator}": all operands must be {kind}, but one is {describe(value)}'
                )
        # The ternary form means (a op b) and (b op c).
        return compare(values[0], values[1]) and (len(values) == 2 or compare(values[1], values[2]))

    return handler


def _plus_time(operands: list[object], data: object) -> object:
    amount, unit = operands[1], operands[2]
    if type(amount) is not int or not isinstance(unit, str) or unit not in TIME_UNITS:
        _reject("plusTime", operands)
    text = _eval(operands[0], data)
    if not isinstance(text, str):
        raise CertLogicError(
            f'"plusTime": date(-time) operand must evaluate to a string, not {describe(text)}'
        )
    try:
        return plus_time(text, amount, unit)
    except CertLogicError as error:
        raise CertLogicError(f'"plusTime": {error}') from None


def _dcc_date_of_birth(operands: list[object], data: object) -> object:
    text = _eval(operands[0], data)
    if not isinstance(text, str):
        raise CertLogicError(
            f'"dccDateOfBirth": operand must evaluate to a string, not {describe(text)}'
        )
    try:
        return dcc_date_of_birth(text)
    except CertLogicError as error:
        raise CertLogicError(f'"dccDateOfBirth": {error}') from None


def _reduce(operands: list[object], data: object) -> object:
    items = _eval(operands[0], data)
    if items is None:
        return _eval(operands[2], data)
    if not isinstance(items, list):
        raise CertLogicError(
            f'"reduce": operand #1 must evaluate to an array or null, not {describe(items)}'
        )
    accumulator = _eval(operands[2], data)
    lambda_ = operands[1]
    for current in items:
        accumulator = _eval(lambda_, {"current": current, "accumulator": accumulator})
    return accumulator


def _extract_from_uvci(operands: list[object], data: object) -> object:
    index = operands[1]
    if type(index) is not int:
        _reject("extractFromUVCI", operands)
    uci = _eval(operands[0], data)
    if uci is None:
        return None
    if not isinstance(uci, str):
        raise CertLogicError(
            f'"extractFromUVCI": operand #1 must evaluate to a string or null, not {describe(uci)}'
        )
    fragments = uci.translate(_UCI_SEPARATORS).split(":")
    if fragments[:2] == ["URN", "UVCI"]:
        fragments = fragments[2:]
    return fragments[index] if 0 <= index < len(fragments) else None


_HANDLERS: Final[dict[str, Handler]] = {
    "if": _if,
    "and": _and,
    "!": _not,
    "===": _equals,
    "in": _in,
    "+": _plus,
    "<": _comparison("<", op.lt, _INTEGERS),
    ">": _comparison(">", op.gt, _INTEGERS),
    "<=": _comparison("<=", op.le, _INTEGERS),
    ">=": _comparison(">=", op.ge, _INTEGERS),
    "after": _comparison("after", op.gt, _DATE_TIMES),
    "before": _comparison("before", op.lt, _DATE_TIMES),
    "not-after": _comparison("not-after", op.le, _DATE_TIMES),
    "not-before": _comparison("not-before", op.ge, _DATE_TIMES),
    "plusTime": _plus_time,
    "dccDateOfBirth": _dcc_date_of_birth,
    "reduce": _reduce,
    "extractFromUVCI": _extract_from_uvci,
}

# Arities live in `forms` so the validator agrees; a handler without one fails at import.
_DISPATCH: Final[dict[object, tuple[int, int, Handler]]] = {
    name: (*forms.ARITIES[name], handler) for name, handler in _HANDLERS.items()
}

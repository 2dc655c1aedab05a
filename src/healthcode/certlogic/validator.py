"""The CertLogic validator: every structural problem of an expression, without evaluating it."""

from dataclasses import dataclass

from healthcode.certlogic import forms


@dataclass(frozen=True)
class ValidationIssue:
    """One problem: the offending sub-expression itself, and what is wrong with it."""

    expr: object
    message: str


def validate(expression: object) -> list[ValidationIssue]:
    """All issues of `expression` in pre-order (an operation before its operands); [] if valid.

    Operands of unrecognised or malformed operations are not inspected: their role is unknown.
    """
    issues: list[ValidationIssue] = []
    try:
        _collect(expression, issues)
    except RecursionError:
        return [ValidationIssue(expression, "expression nested too deeply to validate")]
    return issues


def _collect(expression: object, issues: list[ValidationIssue]) -> None:
    if isinstance(expression, list):
        for item in expression:
            _collect(item, issues)
        return
    if not isinstance(expression, dict):
        problem = forms.literal_problem(expression)
        if problem is not None:
            issues.append(ValidationIssue(expression, problem))
        return
    if len(expression) != 1:
        issues.append(ValidationIssue(expression, forms.key_count_problem(len(expression))))
        return
    ((operator, operands),) = expression.items()
    problem = forms.operation_problem(operator, operands)
    if problem is not None:
        issues.append(ValidationIssue(expression, problem))
    for operand in forms.expression_operands(operator, operands):
        _collect(operand, issues)

"""Run the published CertLogic conformance suites (copied in certlogic/) against our code.

One test per assertion of the evaluator suite and per case of the validation suite, so
pytest's summary line counts the assertions that ran, passed and were skipped.

Directives are honoured the way the reference JavaScript runner (Mocha) honours them:
`skip` on a suite file or a case skips it, `skip` on an assertion skips that assertion;
`only` on a suite file or a case restricts the whole run to the items marked so (a case
marked `only` wins over its file being marked `only`), and `only` on an assertion is
ignored, as the reference runner ignores it.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from healthcode.certlogic import evaluate, validate

SUITES_ROOT = Path(__file__).parent / "certlogic"
EVALUATION_DIR = SUITES_ROOT / "testSuite"
VALIDATION_DIR = SUITES_ROOT / "validation-testSuite"


@dataclass(frozen=True)
class SuiteFile:
    stem: str
    content: dict[str, Any]


def _load(directory: Path) -> list[SuiteFile]:
    return [
        SuiteFile(path.stem, json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(directory.glob("*.json"))
    ]


EVALUATION_SUITES = _load(EVALUATION_DIR)
VALIDATION_SUITES = _load(VALIDATION_DIR)

# Mocha applies `only` across the whole run, which in the reference covers both suites.
ONLY_ACTIVE = any(
    suite.content.get("directive") == "only"
    or any(case.get("directive") == "only" for case in suite.content["cases"])
    for suite in EVALUATION_SUITES + VALIDATION_SUITES
)


def _skip_reason(suite: SuiteFile, case: dict[str, Any]) -> str | None:
    """Why a case does not run under the suite's and the case's directives, if it does not."""
    suite_directive = suite.content.get("directive")
    if suite_directive == "skip":
        return f"directive 'skip' on suite file {suite.stem}.json"
    if case.get("directive") == "skip":
        return f"directive 'skip' on case {case.get('name')!r} of {suite.stem}.json"
    if not ONLY_ACTIVE or case.get("directive") == "only":
        return None
    case_only_in_file = any(c.get("directive") == "only" for c in suite.content["cases"])
    if suite_directive == "only" and not case_only_in_file:
        return None
    return "not selected: directive 'only' is set elsewhere"


def _marks(reason: str | None) -> list[pytest.MarkDecorator]:
    return [] if reason is None else [pytest.mark.skip(reason=reason)]


def _evaluation_params() -> list[Any]:
    params = []
    for suite in EVALUATION_SUITES:
        for case_number, case in enumerate(suite.content["cases"], 1):
            case_reason = _skip_reason(suite, case)
            for number, assertion in enumerate(case["assertions"], 1):
                reason = case_reason
                if reason is None and assertion.get("directive") == "skip":
                    reason = f"directive 'skip' on assertion #{number} of {case['name']!r}"
                expression = assertion.get("certLogicExpression", case.get("certLogicExpression"))
                params.append(
                    pytest.param(
                        expression,
                        assertion,
                        id=f"{suite.stem}/{case_number}:{case['name']}/{number}",
                        marks=_marks(reason),
                    )
                )
    return params


def _validation_params() -> list[Any]:
    params = []
    for suite in VALIDATION_SUITES:
        for number, case in enumerate(suite.content["cases"], 1):
            name = case.get("name") or json.dumps(case["certLogicExpression"])
            params.append(
                pytest.param(
                    case,
                    id=f"{suite.stem}/{number}:{name}",
                    marks=_marks(_skip_reason(suite, case)),
                )
            )
    return params


def _typed(value: Any) -> Any:
    """A JSON value with every scalar tagged by its type, so `1`, `1.0` and `true` differ."""
    if isinstance(value, list):
        return ["list", [_typed(item) for item in value]]
    if isinstance(value, dict):
        return ["dict", sorted((key, _typed(item)) for key, item in value.items())]
    return [type(value).__name__, value]


EVALUATION_PARAMS = _evaluation_params()
VALIDATION_PARAMS = _validation_params()


def test_suites_are_present() -> None:
    assert len(EVALUATION_SUITES) == len(list(EVALUATION_DIR.glob("*.json"))) > 0
    assert len(VALIDATION_SUITES) == len(list(VALIDATION_DIR.glob("*.json"))) > 0
    assert len(EVALUATION_PARAMS) >= 200
    assert len(VALIDATION_PARAMS) >= 20


@pytest.mark.parametrize(("expression", "assertion"), EVALUATION_PARAMS)
def test_evaluation_assertion(expression: Any, assertion: dict[str, Any]) -> None:
    assert expression is not None, "no CertLogic expression on the assertion nor on its case"
    actual = evaluate(expression, assertion["data"])
    message = assertion.get("message") or json.dumps(assertion["data"])
    assert actual == assertion["expected"], message
    assert _typed(actual) == _typed(assertion["expected"]), message


@pytest.mark.parametrize("case", VALIDATION_PARAMS)
def test_validation_case(case: dict[str, Any]) -> None:
    issues = validate(case["certLogicExpression"])
    actual = [{"expr": issue.expr, "message": issue.message} for issue in issues]
    assert actual == case["issues"]
    assert _typed(actual) == _typed(case["issues"])


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, id=f"{suite.stem}/{number}:{case['name']}")
        for suite in EVALUATION_SUITES
        for number, case in enumerate(suite.content["cases"], 1)
        if "certLogicExpression" in case
    ],
)
def test_evaluation_suite_expressions_validate(case: dict[str, Any]) -> None:
    """Cross-check: the validator accepts every expression the evaluator suite runs."""
    assert validate(case["certLogicExpression"]) == []

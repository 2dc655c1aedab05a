"""Edge cases of CertLogic the published conformance suites leave out."""

import contextlib
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcode.certlogic import (
    CertLogicError,
    ValidationIssue,
    evaluate,
    format_datetime,
    parse_datetime,
    validate,
)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def plus(text: str, amount: int, unit: str) -> Any:
    return evaluate({"plusTime": [text, amount, unit]}, None)


@pytest.mark.parametrize(
    ("text", "amount", "unit", "expected"),
    [
        # The specification's leap-day table.
        ("2020-02-29", 1, "day", utc(2020, 3, 1)),
        ("2020-02-29", 1, "month", utc(2020, 3, 29)),
        ("2020-02-29", 1, "year", utc(2021, 3, 1)),
        # JS setUTCMonth / setUTCFullYear let the day of month overflow.
        ("2021-01-31", 1, "month", utc(2021, 3, 3)),
        ("2020-01-31", 1, "month", utc(2020, 3, 2)),
        ("2021-03-31", -1, "month", utc(2021, 3, 3)),
        ("2020-02-29", -1, "year", utc(2019, 3, 1)),
        ("2021-11-15", 14, "month", utc(2023, 1, 15)),
        ("2021-01-15", -13, "month", utc(2019, 12, 15)),
        ("2021-12-31T23:00:00Z", 2, "hour", utc(2022, 1, 1, 1)),
        ("2021-03-28T00:00:00Z", 24, "hour", utc(2021, 3, 29)),
        ("2021-06-01", -365, "day", utc(2020, 6, 1)),
        # Partial dates mean their last day, as dccDateOfBirth reads them.
        ("2004", 18, "year", utc(2022, 12, 31)),
        ("2004-02", 0, "day", utc(2004, 2, 29)),
        ("2003-02", 0, "day", utc(2003, 2, 28)),
    ],
)
def test_plus_time_offsets_like_js_dates(
    text: str, amount: int, unit: str, expected: datetime
) -> None:
    assert plus(text, amount, unit) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-06-01T12:34:56", utc(2021, 6, 1, 12, 34, 56)),
        ("2021-06-01T12:34:56Z", utc(2021, 6, 1, 12, 34, 56)),
        ("2021-06-01T12:34:56+2", utc(2021, 6, 1, 10, 34, 56)),
        ("2021-06-01T12:34:56+02", utc(2021, 6, 1, 10, 34, 56)),
        ("2021-06-01T12:34:56+130", utc(2021, 6, 1, 11, 4, 56)),
        ("2021-06-01T12:34:56-0130", utc(2021, 6, 1, 14, 4, 56)),
        ("2021-06-01T12:34:56-1:30", utc(2021, 6, 1, 14, 4, 56)),
        ("2021-06-01T00:30:00+01:00", utc(2021, 5, 31, 23, 30)),
        ("2021-06-01T12:34:56.1Z", utc(2021, 6, 1, 12, 34, 56, 100_000)),
        # Digits beyond milliseconds are dropped, never rounded up.
        ("2021-06-01T12:34:56.123999999+00:00", utc(2021, 6, 1, 12, 34, 56, 123_000)),
    ],
)
def test_parse_datetime_formats(text: str, expected: datetime) -> None:
    assert parse_datetime(text) == expected
    assert parse_datetime(text).utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "21-06-01",
        "2021-6-1",
        "2021-06-01T12:34",
        "2021-06-01T12:34:56.Z",
        "2021-06-01 12:34:56Z",
        "2021-06-01T12:34:56+123456",
        "2021-06-01T12:34:56+24:00",
        "2021-09-99",
        "2022-13",
        "2021-02-29",
        "2021-06-01T24:00:00Z",
        "0000-01-01",
        "２０２１-06-01",
        "2021-06-01\n",
    ],
)
def test_parse_datetime_rejects(text: str) -> None:
    with pytest.raises(CertLogicError):
        parse_datetime(text)
    with pytest.raises(CertLogicError, match='"plusTime"'):
        plus(text, 0, "day")


def test_format_datetime_normalises_to_utc_milliseconds() -> None:
    plus_eight = timezone(timedelta(hours=8))
    value = datetime(2021, 3, 20, 12, 0, 0, 987_654, tzinfo=plus_eight)
    assert format_datetime(value) == "2021-03-20T04:00:00.987Z"
    assert format_datetime(parse_datetime("0900-01-02")) == "0900-01-02T00:00:00.000Z"
    assert parse_datetime(format_datetime(value)) == utc(2021, 3, 20, 4, 0, 0, 987_000)
    with pytest.raises(CertLogicError, match="naive"):
        format_datetime(datetime(2021, 3, 20))  # noqa: DTZ001 - rejecting naive input is the point


@pytest.mark.parametrize(
    ("dob", "expected"),
    [("2004", utc(2004, 12, 31)), ("2004-02", utc(2004, 2, 29)), ("2004-02-03", utc(2004, 2, 3))],
)
def test_dcc_date_of_birth(dob: str, expected: datetime) -> None:
    assert evaluate({"dccDateOfBirth": [{"var": "dob"}]}, {"dob": dob}) == expected


@pytest.mark.parametrize("dob", ["", "2004-13", "2004-02-30", "2004-02-03T00:00:00Z", None, 2004])
def test_dcc_date_of_birth_rejects(dob: object) -> None:
    with pytest.raises(CertLogicError, match='"dccDateOfBirth"'):
        evaluate({"dccDateOfBirth": [{"var": "dob"}]}, {"dob": dob})


_DATES = {"a": "2021-01-01", "b": "2021-06-01", "c": "2021-12-31"}


def _dates(*names: str) -> list[object]:
    return [{"plusTime": [{"var": name}, 0, "day"]} for name in names]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # `true` is no integer, though Python's bool subclasses int.
        ({"===": [1, True]}, False),
        ({"===": [0, False]}, False),
        ({"===": [1, {"var": "f"}]}, False),
        ({"in": [1, [True, "1", {"var": "f"}]]}, False),
        ({"in": [True, [1, True]]}, True),
        ({"===": [{"var": "x"}, ["a", 1]]}, True),
        ({"===": [[1], [True]]}, False),
        ({"===": [_dates("a")[0], _dates("a")[0]]}, True),
        # Ternary comparisons are "between".
        ({"not-after": _dates("a", "b", "c")}, True),
        ({"not-after": _dates("a", "a", "a")}, True),
        ({"before": _dates("a", "b", "b")}, False),
        ({"after": _dates("c", "b", "a")}, True),
        ({"not-before": _dates("b", "c")}, False),
        ({">": [3, 2, 1]}, True),
        ({">=": [3, 3, 4]}, False),
        # Lazy operands: the invalid branch is never reached.
        ({"if": [True, 1, {"unknown": []}]}, 1),
        ({"and": [0, {"unknown": []}]}, 0),
        ({"if": [{"var": "missing"}, {"plusTime": ["", 0, "day"]}, "else"]}, "else"),
        # Data access corner cases.
        ({"var": "x.-1"}, None),
        ({"var": "x.1"}, 1),
        ({"var": "s.0"}, None),
        ({"var": "o.0"}, "zero"),
        ({"var": "x.0.y"}, None),
        ({"var": "n.x"}, None),
        ({"reduce": [{"var": "x"}, {"+": [{"var": "accumulator"}, 1]}, 10]}, 12),
        ({"reduce": [[], {"unknown": []}, "initial"]}, "initial"),
        ({"extractFromUVCI": ["URN:UVCI", 0]}, None),
        ({"extractFromUVCI": ["urn:uvci:01", 0]}, "urn"),
        ({"extractFromUVCI": ["URN:UVCI:01:NL:187/37512422923", 99]}, None),
        ({"+": [-5, 3]}, -2),
        ({"!": [{"var": "o"}]}, False),
        ({"!": [{"var": "empty"}]}, True),
    ],
)
def test_evaluation_edge_cases(expression: object, expected: object) -> None:
    data = {"x": ["a", 1], "f": 1.0, "s": "str", "o": {"0": "zero"}, "n": 5, "empty": {}, **_DATES}
    result = evaluate(expression, data)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("expression", "data", "fragment"),
    [
        ({"+": [True, 1]}, None, '"+": both operands must be integers'),
        ({"+": [{"var": "x"}, 1]}, {"x": 1.0}, '"+"'),
        ({"<": [True, 2]}, None, '"<": all operands must be integers'),
        (
            {"<": [1, {"var": "missing"}]},
            None,
            '"<": all operands must be integers, but one is null',
        ),
        ({"<=": ["1", 2, 3]}, None, '"<="'),
        ({"after": [_dates("a")[0], 1]}, _DATES, '"after": all operands must be date-times'),
        ({"before": ["2021-01-01", _dates("a")[0]]}, _DATES, '"before"'),
        ({"!": [{"var": ""}]}, 1.5, '"!": operand evaluated to 1.5'),
        ({"!": [_dates("a")[0]]}, _DATES, "neither truthy nor falsy"),
        ({"if": [{"var": ""}, 1, 2]}, 0.5, '"if": guard'),
        ({"and": [True, _dates("a")[0]]}, _DATES, '"and": operand #2'),
        ({"in": ["a", {"var": "x"}]}, {"x": None}, '"in": right-hand operand'),
        ({"in": ["a", "abc"]}, None, '"in"'),
        ({"reduce": [{"var": ""}, 0, 0]}, "abc", '"reduce": operand #1'),
        ({"plusTime": [{"var": ""}, 0, "day"]}, None, '"plusTime": date(-time) operand'),
        ({"plusTime": [{"var": ""}, 0, "day"]}, 20210601, '"plusTime"'),
        ({"plusTime": ["9999-12-31", 1, "day"]}, None, "out of the representable range"),
        ({"plusTime": ["2021-01-01", 10**20, "year"]}, None, '"plusTime"'),
        ({"plusTime": [_dates("a")[0], 0, "day"]}, _DATES, '"plusTime"'),
        ({"extractFromUVCI": [{"var": ""}, 0]}, 42, '"extractFromUVCI": operand #1'),
        ({"var": "a..b"}, None, "data access path doesn't have a valid format: a..b"),
        ({"var": ["a"]}, None, 'not of the form { "var": "<path>" }'),
        (None, None, "invalid CertLogic expression: null"),
        ({"and": [True, 2.5]}, None, "2.5 is a non-integer number"),
        ({"!!": [1]}, None, 'unrecognised operator: "!!"'),
    ],
)
def test_evaluation_errors_name_the_operation(
    expression: object, data: object, fragment: str
) -> None:
    with pytest.raises(CertLogicError, match=re.escape(fragment)):
        evaluate(expression, data)


@pytest.mark.parametrize(
    "expression",
    [
        {"if": [True, 1]},
        {"and": [True]},
        {"===": [1, 1, 1]},
        {"in": ["a"]},
        {"+": [1, 2, 3]},
        {"<": [1]},
        {"not-before": [1, 2, 3, 4]},
        {"!": [True, False]},
        {"!": []},
        {"plusTime": ["2021-01-01", 0]},
        {"plusTime": ["2021-01-01", {"var": "n"}, "day"]},
        {"plusTime": ["2021-01-01", True, "day"]},
        {"plusTime": ["2021-01-01", 1, "minute"]},
        {"plusTime": ["2021-01-01", 1, ["day"]]},
        {"dccDateOfBirth": []},
        {"reduce": [[], 0]},
        {"extractFromUVCI": ["a:b", {"var": "n"}]},
        {"extractFromUVCI": ["a:b"]},
        {"if": {"a": 1}},
        {"and": "x"},
        {},
        {"var": "x", "if": [1, 2, 3]},
        {"var": ".x"},
        {"var": 1},
        {"not-an-operator": []},
    ],
)
def test_evaluator_and_validator_agree_on_malformed_operations(expression: object) -> None:
    issues = validate(expression)
    assert [issue.expr for issue in issues] == [expression]
    with pytest.raises(CertLogicError) as raised:
        evaluate(expression, {"n": 1})
    assert str(raised.value) == issues[0].message


def test_validator_reports_every_nested_issue_in_preorder() -> None:
    inner_float = 1.5
    bad_var = {"var": "a."}
    bad_amount = {"plusTime": [None, "1", "day"]}
    expression = {"and": [bad_var, [inner_float, {"!": [None, 1]}], bad_amount]}
    assert validate(expression) == [
        ValidationIssue(bad_var, "data access path doesn't have a valid format: a."),
        ValidationIssue(inner_float, "1.5 is a non-integer number"),
        ValidationIssue(
            {"!": [None, 1]}, '"!" operation must have exactly 1 operands, but it has 2'
        ),
        ValidationIssue(None, "invalid CertLogic expression"),
        ValidationIssue(
            bad_amount, '"plusTime": amount (operand #2) must be an integer literal, not "1"'
        ),
        ValidationIssue(None, "invalid CertLogic expression"),
    ]


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    expression: object = True
    for _ in range(50_000):
        expression = {"!": [expression]}
    with pytest.raises(CertLogicError, match="nested too deeply"):
        evaluate(expression, None)
    assert [issue.message for issue in validate(expression)] == [
        "expression nested too deeply to validate"
    ]


def test_certlogic_error_is_a_value_error() -> None:
    assert issubclass(CertLogicError, ValueError)
    with pytest.raises(ValueError, match="unrecognised operator"):
        evaluate({"foo": []}, None)


# Random expressions and data: biased towards real operators and paths that hit the data,
# so most examples get past the shape checks and into the type checks.
_OPERATORS = ["var", "if", "and", "!", "===", "in", "+", "<", ">", "<=", ">=", "after",
              "before", "not-after", "not-before", "plusTime", "dccDateOfBirth", "reduce",
              "extractFromUVCI", "!!", "or"]  # fmt: skip
_KEYS = st.sampled_from(["a", "b", "0", "1", "current", "accumulator"])
_PATHS = st.lists(_KEYS, max_size=3).map(".".join) | st.text(max_size=5)
_DATE_STRINGS = ["", "2021", "2021-06", "2021-06-01", "2021-06-01T12:00:00+02:00"]
_STRINGS = st.sampled_from([*_DATE_STRINGS, "URN:UVCI:01:NL:1/2#3", "year", "day", "x"])
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.floats(allow_nan=True)
    | _STRINGS
    | st.text(max_size=5)
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=12,
)


def _operations(inner: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    operation = st.builds(
        lambda name, operands: {name: operands},
        st.sampled_from(_OPERATORS),
        st.lists(inner, min_size=0, max_size=4) | inner,
    )
    variable = st.builds(lambda path: {"var": path}, _PATHS)
    return operation | variable | st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner)


_EXPRESSIONS = st.recursive(_SCALARS, _operations, max_leaves=15)


@settings(max_examples=400)
@given(expression=_EXPRESSIONS, data=_JSON)
def test_evaluate_returns_or_raises_certlogic_error(expression: object, data: object) -> None:
    with contextlib.suppress(CertLogicError):
        evaluate(expression, data)


@settings(max_examples=200)
@given(expression=_EXPRESSIONS)
def test_validate_never_raises_and_valid_means_no_shape_error(expression: object) -> None:
    issues = validate(expression)
    assert all(isinstance(issue, ValidationIssue) for issue in issues)
    if not issues:
        # A valid expression can still fail on a type mismatch, but never on its shape.
        message = ""
        try:
            evaluate(expression, None)
        except CertLogicError as error:
            message = str(error)
        assert "operation must have" not in message
        assert "unrecognised operator" not in message

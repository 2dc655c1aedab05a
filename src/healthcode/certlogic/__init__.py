"""CertLogic 1.3.3: evaluator and validator of the EU DCC business-rule language.

Conforms to the specification and its published conformance suites, a copy of which lives
in tests/conformance/certlogic/. Date-time values are timezone-aware UTC `datetime`s with
millisecond precision; `parse_datetime` and `format_datetime` move them in and out of the
JSON strings CertLogic data carries.
"""

from healthcode.certlogic.datetimes import format_datetime, parse_datetime
from healthcode.certlogic.errors import CertLogicError
from healthcode.certlogic.evaluator import evaluate
from healthcode.certlogic.validator import ValidationIssue, validate

__all__ = [
    "CertLogicError",
    "ValidationIssue",
    "evaluate",
    "format_datetime",
    "parse_datetime",
    "validate",
]

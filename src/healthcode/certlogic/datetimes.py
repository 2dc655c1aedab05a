"""CertLogic date-times: parsing, offsetting (`plusTime`), DCC dates of birth, formatting.

Values are timezone-aware UTC `datetime`s truncated to whole milliseconds, the precision
the specification fixes for every date-time it produces.
"""

import calendar
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Final

from healthcode.certlogic.errors import CertLogicError

TIME_UNITS: Final = ("year", "month", "day", "hour")

# ASCII only: `\d` would also accept non-Latin digits, which the formats do not allow.
_DATE_TIME: Final = re.compile(
    r"(?P<year>[0-9]{4})(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2})"
    r"(?:T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]+))?"
    r"(?:(?P<zulu>Z)|(?P<sign>[+-])(?P<off_hours>[0-9]{1,2})(?::?(?P<off_minutes>[0-9]{2}))?)?"
    r")?)?)?"
)
_DATE_OF_BIRTH: Final = re.compile(
    r"(?P<year>[0-9]{4})(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2}))?)?"
)

# Parsed strings repeat heavily (one validation clock, few distinct dates of birth), and
# the results are immutable, so memoising is safe; exceptions are never cached.
_CACHE_SIZE: Final = 16384


def _last_consistent_day(year: int, month: str | None, day: str | None) -> tuple[int, int]:
    """Month and day of the latest date consistent with a possibly partial date."""
    if month is None:
        return 12, 31
    month_number = int(month)
    if day is not None:
        return month_number, int(day)
    if not 1 <= month_number <= 12:
        raise ValueError(f"month {month_number} out of range")
    return month_number, calendar.monthrange(year, month_number)[1]


def _offset(match: re.Match[str]) -> timedelta:
    sign = match["sign"]
    if sign is None:
        # Both an explicit `Z` and a missing offset mean UTC.
        return timedelta(0)
    hours = int(match["off_hours"])
    minutes = int(match["off_minutes"] or "0")
    if hours > 23 or minutes > 59:
        raise ValueError("timezone offset out of range")
    magnitude = timedelta(hours=hours, minutes=minutes)
    return -magnitude if sign == "-" else magnitude


def _from_match(match: re.Match[str]) -> datetime:
    year = int(match["year"])
    month, day = _last_consistent_day(year, match["month"], match["day"])
    milliseconds = int((match["fraction"] or "0")[:3].ljust(3, "0"))
    # The wall-clock reading at the given offset, labelled UTC until shifted by that offset.
    wall_clock = datetime(
        year,
        month,
        day,
        int(match["hour"] or "0"),
        int(match["minute"] or "0"),
        int(match["second"] or "0"),
        milliseconds * 1000,
        tzinfo=UTC,
    )
    return wall_clock - _offset(match)


def parse_datetime(text: str) -> datetime:
    """Parse a date(-time) string as `plusTime` does with an amount of 0.

    Partial dates (`YYYY`, `YYYY-MM`) mean their last day, like `dccDateOfBirth`; a missing
    time is midnight, a missing offset is UTC, and sub-millisecond digits are dropped.
    Strings outside the allowed formats, or naming impossible dates, raise CertLogicError
    (the specification leaves them undefined; failing loudly is the safe choice).
    """
    return _parse_cached(text)


# A typed public function in front of each cache: `lru_cache` erases parameter types.
@lru_cache(maxsize=_CACHE_SIZE)
def _parse_cached(text: str) -> datetime:
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        raise CertLogicError(f"not a date(-time) in an allowed format: {text!r}")
    try:
        return _from_match(match)
    except (ValueError, OverflowError) as error:
        raise CertLogicError(f"not a valid date(-time): {text!r} ({error})") from None


def dcc_date_of_birth(text: str) -> datetime:
    """Midnight UTC of the last day consistent with a DCC date of birth `YYYY[-MM[-DD]]`."""
    return _dob_cached(text)


@lru_cache(maxsize=_CACHE_SIZE)
def _dob_cached(text: str) -> datetime:
    match = _DATE_OF_BIRTH.fullmatch(text)
    if match is None:
        raise CertLogicError(f"not a DCC date of birth (YYYY[-MM[-DD]]): {text!r}")
    try:
        year = int(match["year"])
        month, day = _last_consistent_day(year, match["month"], match["day"])
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError as error:
        raise CertLogicError(f"not a valid date of birth: {text!r} ({error})") from None


def _shift_months(value: datetime, months: int) -> datetime:
    """JS `setUTCMonth(getUTCMonth() + months)`: overflowing days roll into the next month."""
    years, month_index = divmod(value.year * 12 + value.month - 1 + months, 12)
    first_of_month = value.replace(year=years, month=month_index + 1, day=1)
    return first_of_month + timedelta(days=value.day - 1)


def plus_time(text: str, amount: int, unit: str) -> datetime:
    """Parse `text` and offset it by `amount` `unit`s with JS `Date.setUTC*` semantics.

    So 2020-02-29 + 1 year is 2021-03-01 and 2021-01-31 + 1 month is 2021-03-03; days and
    hours are exact multiples of 24 h and 1 h because everything is in UTC.
    """
    return _plus_time_cached(text, amount, unit)


@lru_cache(maxsize=_CACHE_SIZE)
def _plus_time_cached(text: str, amount: int, unit: str) -> datetime:
    value = _parse_cached(text)
    try:
        if unit == "hour":
            return value + timedelta(hours=amount)
        if unit == "day":
            return value + timedelta(days=amount)
        if unit == "month":
            return _shift_months(value, amount)
        if unit == "year":
            return _shift_months(value, 12 * amount)
    except (ValueError, OverflowError) as error:
        raise CertLogicError(
            f"{text!r} + {amount} {unit} is out of the representable range ({error})"
        ) from None
    raise CertLogicError(f"time unit must be one of {', '.join(TIME_UNITS)}, not {unit!r}")


def format_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and `Z`, e.g. `2021-06-01T00:00:00.000Z`."""
    if value.utcoffset() is None:
        raise CertLogicError(f"cannot format a naive datetime as a CertLogic date-time: {value!r}")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise CertLogicError(f"date-time out of range once converted to UTC: {value!r}") from None
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )

"""GB/T 2260 codes: normalising, area matching (A6) and the pinned division table."""

import pytest

from healthcode.domain.regions import (
    Division,
    covers,
    division,
    normalise,
    prefecture_of,
    province_of,
    region_problem,
)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("330102", "330102"),
        ("330100", "3301"),
        ("330000", "33"),
        ("330102001", "330102001"),
        ("330102000", "330102"),
        ("330102001000", "330102001"),
        ("330102001002", "330102001002"),
        ("330100000000", "3301"),
        ("441900003", "441900003"),  # a township directly under a city without counties (东莞)
        ("3301", "3301"),  # already normalised
        ("33", "33"),
    ],
)
def test_normalise_drops_trailing_zero_groups(code: str, expected: str) -> None:
    """A6: trailing all-zero groups are dropped, and normalising twice changes nothing."""
    assert normalise(code) == expected
    assert normalise(expected) == expected


@pytest.mark.parametrize(
    "code", ["", "3", "330", "33010", "3301020", "3301a2", "000000", "３３０１０２"]
)
def test_normalise_rejects_what_is_not_a_code(code: str) -> None:
    """A6: what is not a division code is refused rather than matched."""
    with pytest.raises(ValueError, match="not a GB/T 2260"):
        normalise(code)


@pytest.mark.parametrize(
    ("area", "code", "expected"),
    [
        ("330100", "330102", True),
        ("330100", "330102001", True),
        ("330100", "330102001002", True),
        ("330100", "330100", True),
        ("330100", "330201", False),  # 宁波 is not 杭州
        ("330100", "330000", False),  # the city does not cover its province
        ("330000", "330102", True),
        ("330000", "330201001", True),
        ("330000", "320102", False),
        ("33", "330382", True),
        ("330102", "330102001", True),
        ("330102", "330103", False),
        ("330102001", "330102001002", True),
        ("330102001", "330102002", False),
        ("330102001000", "330102001", True),
        ("330102001", "330102", False),  # a township does not cover its county
        ("110100", "110101", True),
        ("110100", "110200", False),
    ],
)
def test_covers_is_prefix_matching_of_normalised_codes(
    area: str, code: str, expected: bool
) -> None:
    """A6: an area covers the codes its normalised form is a prefix of."""
    assert covers(area, code) is expected


@pytest.mark.parametrize(
    ("code", "prefecture", "province"),
    [
        ("330102", "3301", "33"),
        ("330100", "3301", "33"),
        ("330102001002", "3301", "33"),
        ("441900003", "4419", "44"),
    ],
)
def test_prefecture_and_province_prefixes(code: str, prefecture: str, province: str) -> None:
    assert prefecture_of(code) == prefecture
    assert province_of(code) == province


def test_a_province_has_no_prefecture() -> None:
    with pytest.raises(ValueError, match="no prefecture"):
        prefecture_of("330000")


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("330102", None),
        ("330106", None),
        ("330103", None),  # 下城区, abolished in 2021, still a known division
        ("330000", None),
        ("330102001", None),
        ("330102001002", None),
        ("810000", None),
        ("", "must be 6, 9 or 12 digits"),
        ("3301", "must be 6, 9 or 12 digits"),
        ("3301020", "must be 6, 9 or 12 digits"),
        ("3301020010", "must be 6, 9 or 12 digits"),
        ("33010a", "must be 6, 9 or 12 digits"),
        (" 330102", "must be 6, 9 or 12 digits"),
        ("330102\n", "must be 6, 9 or 12 digits"),
        ("999999", "unknown GB/T 2260 division in the first 6 digits"),
        ("999999001", "unknown GB/T 2260 division in the first 6 digits"),
        ("000000", "unknown GB/T 2260 division in the first 6 digits"),
    ],
)
def test_region_problem(code: str, problem: str | None) -> None:
    """A6: risk-area codes are 6, 9 or 12 digits naming a known division."""
    assert region_problem(code) == problem


@pytest.mark.parametrize(
    "expected",
    [
        Division("330102", "上城区", "浙江省", current=True, abolished_in=None),
        Division("330106", "西湖区", "浙江省", current=True, abolished_in=None),
        Division("330103", "下城区", "浙江省", current=False, abolished_in=2021),
        Division("330104", "江干区", "浙江省", current=False, abolished_in=2021),
        Division("330100", "杭州市", "浙江省", current=True, abolished_in=None),
        Division("330000", "浙江省", "浙江省", current=True, abolished_in=None),
        Division("110103", "崇文区", "北京市", current=False, abolished_in=2010),
    ],
)
def test_division_table_has_current_and_historical_codes(expected: Division) -> None:
    assert division(expected.code) == expected


@pytest.mark.parametrize("code", ["999999", "3301", "330102001", ""])
def test_division_is_none_for_unknown_codes(code: str) -> None:
    assert division(code) is None

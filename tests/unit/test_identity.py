"""Identity documents, names, phones and nationalities: validation and masked display forms."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import resident_id
from healthcode.domain.identity import (
    IdType,
    id_number_problem,
    mask_id_number,
    mask_name,
    mask_phone,
    name_problem,
    nationality_problem,
    normalise_id_number,
    normalise_phone,
    phone_problem,
    resident_id_birth_date,
    resident_id_check_digit,
)


def with_wrong_check_digit(id_number: str) -> str:
    wrong = "0" if id_number[-1] != "0" else "1"
    return id_number[:-1] + wrong


@pytest.mark.parametrize(
    ("first17", "check"),
    [
        # GB 11643-1999's own example, and numbers whose check character is X and 0.
        ("11010519491231002", "X"),
        ("44052418800101001", "4"),
        ("33010619800101003", "X"),
        ("33010619800101008", "0"),
    ],
)
def test_resident_id_check_digit_mod_11_2(first17: str, check: str) -> None:
    assert resident_id_check_digit(first17) == check


@pytest.mark.parametrize(
    "first17", ["", "1101051949123100", "110105194912310021", "1101051949123100X"]
)
def test_resident_id_check_digit_needs_17_digits(first17: str) -> None:
    with pytest.raises(ValueError, match="17 digits"):
        resident_id_check_digit(first17)


@given(
    region=st.sampled_from(["330106", "330103", "110103", "810000"]),
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    seq=st.text(alphabet="0123456789", min_size=3, max_size=3),
    last=st.sampled_from("0123456789X"),
)
def test_only_the_computed_check_digit_passes(region: str, born: date, seq: str, last: str) -> None:
    first17 = resident_id(region, born.strftime("%Y%m%d"), seq)[:17]
    expected = None if last == resident_id_check_digit(first17) else "wrong check digit"
    assert id_number_problem(IdType.RESIDENT_ID, first17 + last) == expected


@given(st.text(alphabet="0123456789", min_size=17, max_size=17), st.sampled_from("0123456789X"))
def test_check_digit_rule_holds_for_any_17_digits(first17: str, last: str) -> None:
    problem = id_number_problem(IdType.RESIDENT_ID, first17 + last)
    if last == resident_id_check_digit(first17):
        assert problem != "wrong check digit"
    else:
        assert problem is not None


@pytest.mark.parametrize(
    "number",
    [
        resident_id(),
        resident_id(region="330102"),  # 上城区
        resident_id(region="330103"),  # 下城区, abolished in 2021: old numbers still carry it
        resident_id(region="110103", birth="19550315"),  # 崇文区, abolished in 2010
        resident_id(birth="20000229"),  # a leap day
        resident_id(birth="19000101"),
        resident_id(region="810000"),  # 港澳台居民居住证, Hong Kong
        resident_id(region="830000"),  # 港澳台居民居住证, Taiwan (not a GB/T 2260 division)
        resident_id(seq="003"),  # check character X
        "11010519491231002X",
    ],
)
def test_valid_resident_ids(number: str) -> None:
    assert id_number_problem(IdType.RESIDENT_ID, number) is None


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        (with_wrong_check_digit(resident_id()), "wrong check digit"),
        (resident_id(birth="19800230"), "birth date is not a real calendar date"),  # Feb 30
        (resident_id(birth="19001301"), "birth date is not a real calendar date"),
        (resident_id(birth="19000229"), "birth date is not a real calendar date"),  # 1900 not leap
        (resident_id(birth="18991231"), "birth year is before 1900"),
        (resident_id(region="999999"), "unknown region code in the first 6 digits"),
        (resident_id(region="330199"), "unknown region code in the first 6 digits"),
        (resident_id()[:17], "must be 17 digits followed by a digit or X"),
        (resident_id() + "1", "must be 17 digits followed by a digit or X"),
        (resident_id(seq="003").lower(), "must be 17 digits followed by a digit or X"),
        ("X" + resident_id()[1:], "must be 17 digits followed by a digit or X"),
        ("", "must be 17 digits followed by a digit or X"),
    ],
)
def test_invalid_resident_ids(number: str, problem: str) -> None:
    assert id_number_problem(IdType.RESIDENT_ID, number) == problem


@pytest.mark.parametrize(
    ("id_type", "number"),
    [
        (IdType.RESIDENT_ID, with_wrong_check_digit(resident_id())),
        (IdType.RESIDENT_ID, resident_id(region="999999")),
        (IdType.RESIDENT_ID, resident_id(birth="19800230")),
        (IdType.PASSPORT, "E1234-5678"),
        (IdType.FOREIGN_PERMANENT_RESIDENT, with_wrong_check_digit(resident_id(region="933840"))),
    ],
)
def test_reasons_never_echo_the_number(id_type: IdType, number: str) -> None:
    """D2: a rejected ID number is never disclosed, not even in part, by the reason."""
    problem = id_number_problem(id_type, number)
    assert problem is not None
    assert not any(number[i : i + 4] in problem for i in range(len(number) - 3))


def test_resident_id_birth_date() -> None:
    assert resident_id_birth_date(resident_id(birth="19800101")) == date(1980, 1, 1)
    with pytest.raises(ValueError, match="day is out of range"):
        resident_id_birth_date(resident_id(birth="19800230"))


@pytest.mark.parametrize(
    ("id_type", "raw", "normalised"),
    [
        (IdType.RESIDENT_ID, " 330106 19800101 003x ", "33010619800101003X"),
        (IdType.RESIDENT_ID, "３３０１０６１９８００１０１００３ｘ", "33010619800101003X"),
        (IdType.PASSPORT, "e1234567<<", "E1234567"),
        (IdType.HK_MACAO_PERMIT, "h1234 5678", "H12345678"),
    ],
)
def test_normalise_id_number(id_type: IdType, raw: str, normalised: str) -> None:
    assert normalise_id_number(id_type, raw) == normalised


@pytest.mark.parametrize(
    ("id_type", "number"),
    [
        (IdType.PASSPORT, "E12345678"),
        (IdType.PASSPORT, "G1234"),
        (IdType.PASSPORT, "123456789"),
        (IdType.PASSPORT, "A" * 17),
        (IdType.HK_MACAO_PERMIT, "H12345678"),
        (IdType.HK_MACAO_PERMIT, "M1234567801"),
        (IdType.TAIWAN_PERMIT, "12345678"),
        (IdType.TAIWAN_PERMIT, "1234567801"),
        (IdType.FOREIGN_PERMANENT_RESIDENT, "USA330119800101"),
        (
            IdType.FOREIGN_PERMANENT_RESIDENT,
            resident_id(region="933840", birth="19800101", seq="012"),
        ),
    ],
)
def test_valid_passports_and_permits(id_type: IdType, number: str) -> None:
    """A8: passports and HK/Macao/Taiwan/foreign-resident permits are accepted."""
    assert id_number_problem(id_type, number) is None


@pytest.mark.parametrize(
    ("id_type", "number", "problem"),
    [
        (IdType.PASSPORT, "E123", "must be 5 to 17 uppercase letters or digits"),
        (IdType.PASSPORT, "A" * 18, "must be 5 to 17 uppercase letters or digits"),
        (IdType.PASSPORT, "e12345678", "must be 5 to 17 uppercase letters or digits"),
        (IdType.PASSPORT, "E1234-5678", "must be 5 to 17 uppercase letters or digits"),
        (IdType.HK_MACAO_PERMIT, "C12345678", "must be H or M followed by 8 or 10 digits"),
        (IdType.HK_MACAO_PERMIT, "H123456789", "must be H or M followed by 8 or 10 digits"),
        (IdType.HK_MACAO_PERMIT, "12345678", "must be H or M followed by 8 or 10 digits"),
        (IdType.TAIWAN_PERMIT, "1234567", "must be 8 or 10 digits"),
        (IdType.TAIWAN_PERMIT, "123456789", "must be 8 or 10 digits"),
        (IdType.TAIWAN_PERMIT, "T12345678", "must be 8 or 10 digits"),
        (
            IdType.FOREIGN_PERMANENT_RESIDENT,
            "US3301198001011",
            "must be 3 letters and 12 digits, or 18 characters starting with 9",
        ),
        (
            IdType.FOREIGN_PERMANENT_RESIDENT,
            resident_id(),
            "must be 3 letters and 12 digits, or 18 characters starting with 9",
        ),
        (
            IdType.FOREIGN_PERMANENT_RESIDENT,
            with_wrong_check_digit(resident_id(region="933840")),
            "wrong check digit",
        ),
    ],
)
def test_invalid_passports_and_permits(id_type: IdType, number: str, problem: str) -> None:
    """A8: malformed passports and permits come back with a reason."""
    assert id_number_problem(id_type, number) == problem


def test_id_types_are_the_exchange_format_values() -> None:
    assert [str(id_type) for id_type in IdType] == [
        "resident_id",
        "passport",
        "hk_macao_permit",
        "taiwan_permit",
        "foreign_permanent_resident",
    ]


@pytest.mark.parametrize(
    "name",
    [
        "张三",
        "欧阳小明",
        "买买提·艾力",
        "John Smith",
        "Mary-Jane O'Neil",
        "J. R. R. Tolkien",
        "Zoë",
        "  李四  ",
        "김민준",
        "Nguyễn Văn An",
        "A" * 64,
    ],
)
def test_valid_names(name: str) -> None:
    assert name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "must be 1 to 64 characters"),
        ("   ", "must be 1 to 64 characters"),
        ("A" * 65, "must be 1 to 64 characters"),
        ("张三2", "must not contain digits"),
        ("张\x00三", "must not contain control characters"),
        ("John\tSmith", "must not contain control characters"),
        ("John@Smith", "may contain only letters, spaces, ·, hyphens, apostrophes and periods"),
        ("--", "must contain a letter"),
    ],
)
def test_invalid_names(name: str, problem: str) -> None:
    assert name_problem(name) == problem


@pytest.mark.parametrize(
    "phone",
    [
        "13812345678",
        "19912345678",
        "+8613812345678",
        "8613812345678",
        "138 1234 5678",
        "+86 138-1234-5678",
        "１３８１２３４５６７８",
        "+442071234567",
        "+12025550123",
    ],
)
def test_valid_phones(phone: str) -> None:
    assert phone_problem(phone) is None


@pytest.mark.parametrize(
    "phone",
    [
        "12812345678",
        "1381234567",
        "138123456789",
        "+0123456789",
        "+123456",
        "+1234567",
        "+1234567890123456",
        "+8657188888888",  # a Hangzhou landline: no text reaches it
        "phone",
        "",
    ],
)
def test_invalid_phones(phone: str) -> None:
    assert (
        phone_problem(phone)
        == "must be a mainland mobile number, or + and a valid number of another country"
    )


def _parsed(phone: str) -> str | None:
    """`normalise_phone` through libphonenumber's parser: a leading space skips the shortcut."""
    return normalise_phone(" " + phone)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_the_eleven_digit_shortcut_agrees_with_parsing(phone: str) -> None:
    assert normalise_phone(phone) == _parsed(phone)


@given(
    st.from_regex(r"1[3-9][0-9]{4}", fullmatch=True),
    st.from_regex(r"[0-9]{5}", fullmatch=True),
    st.from_regex(r"[0-9]{5}", fullmatch=True),
)
def test_the_shortcut_s_verdict_kept_by_six_digits_holds_for_other_numbers(
    prefix: str, first: str, other: str
) -> None:
    normalise_phone(prefix + first)  # the verdict for the prefix is now kept
    assert normalise_phone(prefix + other) == _parsed(prefix + other)


@pytest.mark.parametrize("fifth", "0123456789")
def test_the_kept_verdict_holds_around_the_satellite_range_1740x(fifth: str) -> None:
    # 1740[0-5]: the longest prefix a mobile range of the metadata has.
    for tail in ("000000", "999999", "512345"):
        phone = f"1740{fifth}{tail}"
        assert normalise_phone(phone) == _parsed(phone), phone


@pytest.mark.parametrize(
    "prefix", [f"1{second}{third}" for second in "3456789" for third in "0123456789"]
)
def test_the_shortcut_agrees_on_every_three_digit_prefix(prefix: str) -> None:
    # Carrier-selection prefixes (17951, 12593, …) and the 1740x satellite range included.
    for rest in ("00000000", "51000000", "40012345", "99999999", "10193000", "00512345"):
        phone = prefix + rest
        assert normalise_phone(phone) == _parsed(phone), phone


@pytest.mark.parametrize("code", ["CHN", "USA", "GBR", "HKG", "MAC", "DEU", "SSD", "ZWE", "ABW"])
def test_known_nationalities(code: str) -> None:
    """A8: inbound travellers' nationalities are ISO 3166-1 alpha-3 codes."""
    assert nationality_problem(code) is None


@pytest.mark.parametrize("code", ["", "CN", "chn", "XXX", "ANT", "D", "UTO", "CHNA", "#"])
def test_unknown_nationalities(code: str) -> None:
    """A8: anything but a current ISO 3166-1 alpha-3 code is refused."""
    assert nationality_problem(code) == "must be an ISO 3166-1 alpha-3 country code"


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张小三", "张*三"),
        ("欧阳小明", "欧**明"),
        ("张", "*"),
        ("John Smith", "J*** S****"),
        ("Madonna", "M******"),
        ("买买提·艾力", "买**·艾*"),
        ("Mary-Jane O'Neil", "M***-J*** *'N***"),  # a one-letter word is hidden too
        (" 李四 ", "李*"),
        ("", ""),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("330106198001011234", "3301**********1234"),
        ("USA330119800101", "USA3********101"),
        ("H1234567801", "H12******01"),
        ("H12345678", "H1*****78"),
        ("12345678", "12****78"),
        ("E1234", "E***4"),
        ("", ""),
    ],
)
def test_mask_id_number_hides_at_least_half(number: str, masked: str) -> None:
    assert mask_id_number(number) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+8613812345678", "+86138****5678"),
        ("+442071234567", "+44*******567"),
        ("+1234567", "+1****67"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked

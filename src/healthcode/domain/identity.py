"""Identity documents, names, phones and nationalities: validation and masked display forms.

Every reason returned here is short English that never repeats the value checked: these are personal
data. Validators expect input already passed through `normalise_id_number`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources
from typing import Final

import phonenumbers

from healthcode.domain.regions import division


class IdType(StrEnum):
    RESIDENT_ID = "resident_id"
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk_macao_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident"


# The shape of each document number, with the reason given when it does not fit.
_SHAPES: Final[Mapping[IdType, tuple[re.Pattern[str], str]]] = {
    # 居民身份证, GB 11643-1999: 6-digit address code (GB/T 2260), birth date YYYYMMDD,
    # 3-digit sequence, ISO 7064 MOD 11-2 check character.
    IdType.RESIDENT_ID: (
        re.compile(r"[0-9]{17}[0-9X]"),
        "must be 17 digits followed by a digit or X",
    ),
    # ICAO Doc 9303 allows up to 9 characters in the MRZ and longer numbers elsewhere; national
    # passports in practice use 5 to 17 letters and digits.
    IdType.PASSPORT: (
        re.compile(r"[A-Z0-9]{5,17}"),
        "must be 5 to 17 uppercase letters or digits",
    ),
    # 港澳居民来往内地通行证 (回乡证): H (Hong Kong) or M (Macao), 8 digits, plus a 2-digit
    # issue count on the cards issued before 2013.
    IdType.HK_MACAO_PERMIT: (
        re.compile(r"[HM][0-9]{8}(?:[0-9]{2})?"),
        "must be H or M followed by 8 or 10 digits",
    ),
    # 台湾居民来往大陆通行证 (台胞证): 8 digits, plus a 2-digit issue count on the older booklets.
    IdType.TAIWAN_PERMIT: (
        re.compile(r"[0-9]{8}(?:[0-9]{2})?"),
        "must be 8 or 10 digits",
    ),
    # 外国人永久居留身份证: the 2004 card, 3-letter nationality + 12 digits; the 2023 card,
    # 18 characters starting with 9 and ending with a GB 11643 check character.
    IdType.FOREIGN_PERMANENT_RESIDENT: (
        re.compile(r"[A-Z]{3}[0-9]{12}|9[0-9]{16}[0-9X]"),
        "must be 3 letters and 12 digits, or 18 characters starting with 9",
    ),
}

# Address codes of the 港澳台居民居住证 (2018), whose numbers follow GB 11643: 810000 and 820000 are
# GB/T 2260 divisions, Taiwan residents' 830000 is not.
_RESIDENCE_PERMIT_ADDRESS_CODES: Final = frozenset({"810000", "820000", "830000"})

_EARLIEST_BIRTH_YEAR: Final = 1900
_CHECK_CHARACTERS: Final = "0123456789X"


def normalise_id_number(id_type: IdType, id_number: str) -> str:
    """The form every document number is validated and compared in: full-width characters folded
    (３３０１ → 3301), spaces removed, letters upper-cased, and a passport's MRZ filler `<` dropped.
    """
    folded = "".join(unicodedata.normalize("NFKC", id_number).split()).upper()
    return folded.rstrip("<") if id_type == IdType.PASSPORT else folded


_WEIGHTS = tuple(pow(2, 17 - index, 11) for index in range(17))


def resident_id_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character over 17 digits (GB 11643): weights 2^(17-i) mod 11."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("needs exactly 17 digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[(12 - total % 11) % 11]


def resident_id_birth_date(id_number: str) -> date:
    """The birth date a resident ID number carries; ValueError if it is not a real calendar date."""
    digits = id_number[6:14]
    if len(digits) != 8 or not digits.isascii() or not digits.isdigit():
        raise ValueError("no birth date in the number")
    return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))


@lru_cache(maxsize=1 << 16)  # a person's number recurs in every fact about them
def id_number_problem(id_type: IdType, id_number: str) -> str | None:
    """None when the number is valid for its document type, else the reason (never the number)."""
    pattern, reason = _SHAPES[id_type]
    if not pattern.fullmatch(id_number):
        return reason
    if id_type == IdType.RESIDENT_ID:
        return _resident_id_problem(id_number)
    if id_type == IdType.FOREIGN_PERMANENT_RESIDENT and len(id_number) == 18:
        return _check_digit_problem(id_number)
    return None


def _resident_id_problem(id_number: str) -> str | None:
    address = id_number[:6]
    if division(address) is None and address not in _RESIDENCE_PERMIT_ADDRESS_CODES:
        return "unknown region code in the first 6 digits"
    try:
        born = resident_id_birth_date(id_number)
    except ValueError:
        return "birth date is not a real calendar date"
    if born.year < _EARLIEST_BIRTH_YEAR:
        return "birth year is before 1900"
    return _check_digit_problem(id_number)


def is_residence_permit_number(id_number: str) -> bool:
    """Whether a resident-ID-shaped number is a 港澳台居民居住证: a Hong Kong, Macao or Taiwan
    resident living on the mainland, not a mainland resident (A8)."""
    return id_number[:6] in _RESIDENCE_PERMIT_ADDRESS_CODES


def _check_digit_problem(id_number: str) -> str | None:
    if resident_id_check_digit(id_number[:17]) != id_number[17]:
        return "wrong check digit"
    return None


# Names: letters and combining marks of any script, with the separators names really contain.
_NAME_SEPARATORS: Final = frozenset(" ·-'’.")
_NAME_MAX_LENGTH: Final = 64


def name_problem(name: str) -> str | None:
    """None for a plausible personal name of 1–64 characters, else the reason."""
    stripped = name.strip()
    if not 1 <= len(stripped) <= _NAME_MAX_LENGTH:
        return "must be 1 to 64 characters"
    categories = {
        unicodedata.category(char)[0] for char in stripped if char not in _NAME_SEPARATORS
    }
    if "N" in categories:
        return "must not contain digits"
    if "C" in categories:
        return "must not contain control characters"
    if categories - {"L", "M"}:
        return "may contain only letters, spaces, ·, hyphens, apostrophes and periods"
    if "L" not in categories:
        return "must contain a letter"
    return None


_MAINLAND_MOBILE: Final = re.compile(r"1[3-9][0-9]{9}")
_CHINA: Final = 86


def normalise_phone(phone: str) -> str | None:
    """The one form a phone number is compared, indexed and stored in, or None if it is none.

    Read by Google's libphonenumber rules (the maintained `phonenumbers`), a number without a
    country code being a mainland one: `+8613800000002`, `8613800000002`, `138 0000 0002` and
    `13800000002` are one number. A mainland number must be a mobile (sign-in codes and answers
    go by text), and its form is its 11 digits, the form residents type and accounts were always
    indexed under (ADR 0003's keyed indexes stay valid); every other number is E.164
    (`+85291234567`). Full-width digits are folded first.
    """
    if _MAINLAND_MOBILE.fullmatch(phone):
        return phone if _is_mainland_mobile(phone) else None
    folded = unicodedata.normalize("NFKC", phone).strip()
    try:
        number = phonenumbers.parse(folded, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    national = str(number.national_number)
    if number.country_code == _CHINA:
        mobile = phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
        return national if mobile and _MAINLAND_MOBILE.fullmatch(national) else None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _is_mainland_mobile(digits: str) -> bool:
    """`normalise_phone`'s verdict on 11 ASCII digits `1[3-9]…`, without `phonenumbers.parse`.

    Why: a department file carries a phone in every record, and parsing is most of reading one
    (about 40 µs of a record's 50). For such a string parsing yields exactly this number: there is
    nothing to fold, and no national or carrier prefix is stripped, since the whole string already
    matches China's general pattern (`1\\d{10}`) and no 6-digit remainder would. So the verdict is
    libphonenumber's own number type of the number built directly; tests/unit/test_identity.py
    holds it to the parsing path on random and boundary numbers.

    The verdict is kept by the number's first six digits: in libphonenumber's metadata for China
    no pattern an 11-digit `1[3-9]` number can match looks further than its sixth digit (the
    mobile ranges end in `\\d{6}` or `\\d{8}`; 1740[0-5] is the longest), and the number type was
    still about a sixth of validating a record. At most 70,000 prefixes exist.
    """
    prefix = digits[:_DECIDING_DIGITS]
    verdict = _MOBILE_BY_PREFIX.get(prefix)
    if verdict is None:
        number = phonenumbers.PhoneNumber(country_code=_CHINA, national_number=int(digits))
        verdict = phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
        _MOBILE_BY_PREFIX[prefix] = verdict
    return verdict


_DECIDING_DIGITS: Final = 6
_MOBILE_BY_PREFIX: dict[str, bool] = {}


def phone_problem(phone: str) -> str | None:
    """None for a number `normalise_phone` reads, else the reason (never the number)."""
    if normalise_phone(phone) is not None:
        return None
    return "must be a mainland mobile number, or + and a valid number of another country"


def nationality_problem(code: str) -> str | None:
    """None for an ISO 3166-1 alpha-3 country code, else the reason."""
    if code not in _alpha3_codes():
        return "must be an ISO 3166-1 alpha-3 country code"
    return None


_ALPHA2: Final = re.compile(r"[A-Z]{2}")


def issuing_country_problem(code: str) -> str | None:
    """None for a two-letter ISO 3166-1 alpha-2 code, as foreign certificates name their
    country, else the reason. Only the form is checked: certificates also carry codes of
    territories ISO lists as user-assigned (the EU DCC's "XK")."""
    if not _ALPHA2.fullmatch(code):
        return "must be an ISO 3166-1 alpha-2 country code (two capital letters)"
    return None


@cache
def _alpha3_codes() -> frozenset[str]:
    listing = resources.files("healthcode") / "data" / "iso3166_alpha3.txt"
    lines = listing.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def mask_name(name: str) -> str:
    """张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧**明; John Smith → J*** S****; separators stay."""
    parts = [part for part in re.split(r"([ ·\-'’.])", name.strip()) if part]
    if len(parts) == 1 and len(name := parts[0]) > 2 and _is_wide(name):
        # A CJK name keeps its first and last characters, as on Chinese ID displays.
        return name[0] + "*" * (len(name) - 2) + name[-1]
    return "".join(
        part if part in _NAME_SEPARATORS else _mask_middle(part, 1, 0, min_hidden=1)
        for part in parts
    )


def _is_wide(word: str) -> bool:
    return all(unicodedata.east_asian_width(char) in {"W", "F"} for char in word)


def mask_id_number(id_number: str) -> str:
    """Keep the first 4 and last 4 characters (3301**********1234); short numbers show less."""
    return _mask_middle(id_number, 4, 4, min_hidden=(len(id_number) + 1) // 2)


def mask_phone(phone: str) -> str:
    """Keep the first 3 and last 4 digits of a mobile (138****5678); other numbers show less."""
    if _MAINLAND_MOBILE.fullmatch(phone[-11:]) and phone[:-11] in {"", "86", "+86"}:
        return phone[:-11] + _mask_middle(phone[-11:], 3, 4, min_hidden=4)
    return _mask_middle(phone, 3, 4, min_hidden=(len(phone) + 1) // 2)


def _mask_middle(text: str, head: int, tail: int, min_hidden: int = 0) -> str:
    """Show `head` and `tail` characters, fewer when that would hide less than `min_hidden`."""
    while head + tail > 0 and len(text) - head - tail < min_hidden:
        if tail >= head:
            tail -= 1
        else:
            head -= 1
    hidden = max(len(text) - head - tail, 0)
    return text[:head] + "*" * hidden + text[len(text) - tail :]

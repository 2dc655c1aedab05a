"""Synthetic identity documents, names and phones that pass the exchange format's validation.

Resident ID numbers carry a real GB/T 2260 county code, a birth date and the GB 11643 check
character; the other documents follow the shapes `healthcode.domain.identity` checks (A8).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Final

from healthcode.domain.identity import IdType, resident_id_check_digit

Record = dict[str, object]

# Current county-level divisions of the eleven prefectures of Zhejiang, 3301 杭州 to 3311 丽水.
ZHEJIANG_COUNTIES: Final = (
    "330102", "330105", "330106", "330108", "330109", "330110", "330122", "330182",
    "330203", "330205", "330206", "330212", "330282", "330302", "330304", "330381",
    "330402", "330481", "330502", "330523", "330602", "330681", "330702", "330782",
    "330802", "330881", "330902", "331002", "331082", "331102", "331121",
)  # fmt: skip
# Where the few residents registered outside Zhejiang come from: 北京 上海 江苏 湖北 广东 四川.
OTHER_COUNTIES: Final = ("110105", "310104", "320583", "420106", "440106", "510107")
# 港澳台居民居住证 numbers follow GB 11643 with these address codes (A8).
RESIDENCE_PERMIT_CODES: Final = ("810000", "820000", "830000")

SURNAMES: Final = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡"
)
COMPOUND_SURNAMES: Final = ("欧阳", "司马", "诸葛", "上官")
GIVEN: Final = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红玉梅文斌浩宇欣怡子涵梓轩雨萱晨"
)
FOREIGNERS: Final = (
    ("Emma Johnson", "USA"), ("Oliver Smith", "GBR"), ("Lukas Schmidt", "DEU"),
    ("Yuki Tanaka", "JPN"), ("Ji-woo Park", "KOR"), ("Camille Martin", "FRA"),
    ("Ivan Petrov", "RUS"), ("Giulia Rossi", "ITA"), ("Liam O'Brien", "IRL"),
)  # fmt: skip
# Numbers reserved for fiction, so no real subscriber is ever named (Ofcom, NANPA).
# Valid by libphonenumber's rules, as every number must be (domain/identity.py::normalise_phone).
FOREIGN_PHONES: Final = {"GBR": "+4479111234", "USA": "+120255501", "IRL": "+3538555500"}
# Mainland mobile prefixes whose every fourth digit libphonenumber knows as a mobile range.
MOBILE_PREFIXES: Final = (
    *("130", "131", "133", "135", "136", "137", "139", "150", "151", "152", "155", "156"),
    *("157", "158", "159", "166", "177", "180", "186", "187", "188", "189", "199"),
)

EARLIEST_BIRTH: Final = date(1935, 1, 1)
LATEST_BIRTH: Final = date(2020, 12, 31)
# Everyone is at least this old at `now`, so no fact the demo writes predates their birth.
YOUNGEST: Final = timedelta(days=730)


class Identities:
    """Documents that are valid and never repeat within one population (nor with `taken`)."""

    def __init__(self, rng: random.Random, now: datetime, taken: set[str]) -> None:
        self._rng = rng
        self._today = now.date()
        self._latest_birth = min(LATEST_BIRTH, (now - YOUNGEST).date())
        self._taken = taken
        self._shown: set[str] = set()

    def resident(self, born: tuple[int, int] = (1935, 2020)) -> Record:
        """A mainland resident of Zhejiang (a few registered elsewhere), born in the years given."""
        rng = self._rng
        county = rng.choice(OTHER_COUNTIES if rng.random() < 0.06 else ZHEJIANG_COUNTIES)
        birth = self.birth_date(*born)
        record: Record = {"id_type": IdType.RESIDENT_ID.value}
        record["id_number"] = self._unique(lambda: self._resident_number(county, birth))
        record["name"] = self.chinese_name()
        age = (self._today - birth).days / 365.25
        if rng.random() < (0.0 if age < 12 else 0.45 if age > 72 else 0.93):
            record["phone"] = self.phone()
        return record

    def traveller(self) -> Record:
        """Someone who enters the mainland: a foreigner, a compatriot or a returning resident."""
        kinds = (self._foreign_passport, self._hk_macao_permit, self._taiwan_permit,
                 self._chinese_passport, self.resident)  # fmt: skip
        return self._draw(kinds, weights=(4, 2, 1, 1, 2))

    def expatriate(self) -> Record:
        """Someone living in Zhejiang without a mainland resident ID (A8: may choose)."""
        kinds = (self._permanent_resident, self._foreign_passport, self._residence_permit)
        return self._draw(kinds, weights=(1, 1, 1))

    def _draw(self, kinds: Sequence[Callable[[], Record]], weights: Sequence[int]) -> Record:
        """Every kind once first, so that a small demo shows them all; then by weight."""
        for kind in kinds:
            if kind.__name__ not in self._shown:
                self._shown.add(kind.__name__)
                return kind()
        return self._rng.choices(kinds, weights)[0]()

    def birth_date(self, first_year: int, last_year: int) -> date:
        earliest = max(date(first_year, 1, 1), EARLIEST_BIRTH)
        latest = min(date(last_year, 12, 31), self._latest_birth)
        return earliest + timedelta(days=self._rng.randrange(max((latest - earliest).days, 1)))

    def chinese_name(self, surname: str | None = None) -> str:
        rng = self._rng
        if surname is None:
            surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.03 else rng.choice(SURNAMES)
        return surname + "".join(rng.sample(GIVEN, rng.choice((1, 2, 2))))

    def phone(self) -> str:
        rng = self._rng
        # No 138 prefix among them: the fixed demo residents' 1380000… block stays theirs.
        return f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"

    def _resident_number(self, county: str, birth: date) -> str:
        first17 = f"{county}{birth:%Y%m%d}{self._rng.randrange(1000):03d}"
        return first17 + resident_id_check_digit(first17)

    def _foreign_passport(self) -> Record:
        name, nationality = self._rng.choice(FOREIGNERS)
        number = self._unique(
            lambda: f"{self._rng.choice('CEKNP')}{self._rng.randrange(10**8):08d}"
        )
        record: Record = {"id_type": IdType.PASSPORT.value, "id_number": number, "name": name}
        record["nationality"] = nationality
        if nationality in FOREIGN_PHONES:
            record["phone"] = f"{FOREIGN_PHONES[nationality]}{self._rng.randrange(100):02d}"
        return record

    def _chinese_passport(self) -> Record:
        number = self._unique(lambda: f"E{self._rng.randrange(10**8):08d}")
        return {
            "id_type": IdType.PASSPORT.value,
            "id_number": number,
            "name": self.chinese_name(),
            "phone": self.phone(),
            "nationality": "CHN",
        }

    def _hk_macao_permit(self) -> Record:
        """港澳居民来往内地通行证: H for Hong Kong, M for Macao."""
        rng = self._rng
        number = self._unique(lambda: f"{rng.choice('HHM')}{rng.randrange(10**8):08d}")
        kind = IdType.HK_MACAO_PERMIT.value
        return {"id_type": kind, "id_number": number, "name": self.chinese_name()}

    def _taiwan_permit(self) -> Record:
        """台湾居民来往大陆通行证."""
        number = self._unique(lambda: f"{self._rng.randrange(10**8):08d}")
        kind = IdType.TAIWAN_PERMIT.value
        return {"id_type": kind, "id_number": number, "name": self.chinese_name()}

    def _permanent_resident(self) -> Record:
        name, nationality = self._rng.choice(FOREIGNERS)
        birth = self.birth_date(1950, 2000)
        number = self._unique(
            lambda: f"{nationality}33{birth:%y%m%d}{self._rng.randrange(10**4):04d}"
        )
        return {
            "id_type": IdType.FOREIGN_PERMANENT_RESIDENT.value,
            "id_number": number,
            "name": name,
            "phone": self.phone(),
            "nationality": nationality,
        }

    def _residence_permit(self) -> Record:
        code, birth = self._rng.choice(RESIDENCE_PERMIT_CODES), self.birth_date(1950, 2005)
        return {
            "id_type": IdType.RESIDENT_ID.value,
            "id_number": self._unique(lambda: self._resident_number(code, birth)),
            "name": self.chinese_name(),
            "phone": self.phone(),
        }

    def _unique(self, draw: Callable[[], str]) -> str:
        number = draw()
        while number in self._taken:
            number = draw()
        self._taken.add(number)
        return number

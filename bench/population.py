"""A synthetic population in the department exchange format v1 (SPEC §1), the same per seed.

    python bench/population.py --persons 100000 --seed 1 --out bench/out/

writes `events.jsonl` (every person's facts, in shuffled order), `risk_areas.jsonl`,
`severe_areas.jsonl` and `population.json` (what was generated, so a benchmark can tell whether
the files still fit its arguments). Persons are made one at a time and their events spread over
bucket files that are shuffled one by one: memory holds a bucket, never the whole population. A
bucket too big to shuffle in memory is spread over sub-buckets first, so memory stays bounded at
any size (about 0.3 GB peak, 10 M persons included); identity numbers are kept unique with a
bitset of every possible number (100 MB whatever the size), not a set that grows with it.

The mix follows a province in March 2021: most people have a vaccination, a negative
nucleic-acid test and a few trips; a few are isolated, report symptoms, test positive or are
designated by an authority. Every record is valid, so every person gets a decision.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import IO

CST = timezone(timedelta(hours=8))  # the exchange format's display offset, Asia/Shanghai
START = datetime(2021, 3, 1, tzinfo=CST)
END = datetime(2021, 3, 20, tzinfo=CST)
DEFAULT_OUT = Path(__file__).resolve().parent / "out"
MANIFEST = "population.json"
# Raise when the output changes, so that old files are regenerated. 2: phones only from allocated
# mobile prefixes (the exchange reader checks them with libphonenumber since issue #11, and
# rejected 17 % of the persons with a phone in version 1: 179…, 140…, 160… are not allocated).
GENERATOR_VERSION = 2

# County-level divisions of Zhejiang (GB/T 2260): where residents are registered and travel.
HOME_REGIONS = (
    "330102", "330105", "330106", "330108", "330109", "330110", "330212", "330302",
    "330402", "330502", "330602", "330702", "330802", "330902", "331002", "331102",
)  # fmt: skip
# Mainland mobile prefixes every number of which libphonenumber (the exchange reader) accepts.
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "170", "171", "172", "173", "175", "176",
    "177", "178", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189", "191",
    "193", "195", "196", "197", "198", "199",
)  # fmt: skip
# (region, level, first day in March, last day or None): the risk-area list of the period.
RISK_AREAS = (
    ("420106", "high", 1, None), ("420102", "medium", 1, 12), ("420103", "medium", 2, None),
    ("420111", "low", 3, None), ("310115", "medium", 4, None), ("310104", "low", 4, 15),
    ("110105", "medium", 5, None), ("110106", "low", 5, None), ("130104", "high", 1, 10),
    ("130105", "medium", 1, 14), ("131082", "medium", 6, None), ("230102", "medium", 2, 16),
    ("220202", "high", 1, 18), ("220102", "low", 3, None), ("210211", "medium", 7, None),
    ("510107", "low", 8, None), ("440106", "low", 9, None), ("320583", "medium", 10, None),
    ("350203", "low", 11, None), ("110108001", "high", 12, None),
)  # fmt: skip
SEVERE_AREAS = (
    {
        "designation_id": "ZJ-A7-2021-001",
        "region": "420106",
        "lookback_days": 14,
        "effective_from": "2021-03-02T00:00:00+08:00",
        "approved_by": "浙江省新冠肺炎疫情防控工作领导小组办公室",
        "assessment_ref": "浙防指评〔2021〕3号",
    },
    {
        "designation_id": "ZJ-A7-2021-002",
        "region": "220202",
        "lookback_days": 14,
        "effective_from": "2021-03-01T00:00:00+08:00",
        "effective_to": "2021-03-18T00:00:00+08:00",
        "approved_by": "浙江省新冠肺炎疫情防控工作领导小组办公室",
        "assessment_ref": "浙防指评〔2021〕2号",
    },
)
TRAVEL_SOURCES = ("telecom", "telecom", "rail", "aviation", "transport")
VACCINES = ("CoronaVac", "BBIBP-CorV", "WIBP-CorV", "Ad5-nCoV", "ZF2001")
NATIONALITIES = ("CHN", "USA", "GBR", "JPN", "KOR", "DEU", "FRA", "RUS", "ITA", "CAN", "SGP")
PORTS = ("上海浦东国际机场", "杭州萧山国际机场", "宁波栎社国际机场", "宁波舟山港")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红玉兰文辉"
WESTERN_NAMES = ("John Smith", "Anna Müller", "Kenji Sato", "Min-jun Kim", "Marie Dubois")
_ID_WEIGHTS = tuple(pow(2, 17 - index, 11) for index in range(17))


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 over the first 17 digits of a resident ID (GB 11643)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return "0123456789X"[(12 - total % 11) % 11]


def stamp(instant: datetime) -> str:
    return instant.isoformat(timespec="seconds")


def random_instant(
    rng: random.Random, earliest: datetime = START, latest: datetime = END
) -> datetime:
    seconds = int((latest - earliest).total_seconds())
    return earliest + timedelta(seconds=rng.randrange(max(seconds, 1)))


BORN_DAYS = 86 * 365  # residents are born 1930 to 2015
PASSPORT_LETTERS = "EGP"


class Bitset:
    """Which of `size` numbers were taken: one bit each, the same memory at any population size."""

    def __init__(self, size: int) -> None:
        self._bits = bytearray((size + 7) // 8)

    def take(self, number: int) -> bool:
        """Mark `number` taken; False when it already was."""
        byte, bit = divmod(number, 8)
        if self._bits[byte] >> bit & 1:
            return False
        self._bits[byte] |= 1 << bit
        return True


class People:
    """Identity documents that are valid and never repeat within one population."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        # Every resident ID and passport number the draws can give has its own bit (63 + 38 MB):
        # a set of the numbers drawn would grow to gigabytes at a province's size.
        self._residents = Bitset(len(HOME_REGIONS) * BORN_DAYS * 1000)
        self._passports = Bitset(len(PASSPORT_LETTERS) * 10**8)

    def next(self) -> dict[str, object]:
        rng = self._rng
        if rng.random() < 0.03:
            return self._traveller()
        person: dict[str, object] = {
            "id_type": "resident_id",
            "id_number": self._unique(self._resident_id, self._residents),
        }
        if rng.random() < 0.7:
            person["name"] = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2)))
        if rng.random() < 0.8:
            person["phone"] = f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
        return person

    def _resident_id(self) -> tuple[int, str]:
        """The number's place among every possible one, and the number (the same draws as v1)."""
        rng = self._rng
        days = rng.randrange(BORN_DAYS)
        region = rng.randrange(len(HOME_REGIONS))  # what rng.choice(HOME_REGIONS) draws
        born = date(1930, 1, 1) + timedelta(days=days)
        serial = rng.randrange(1000)
        first17 = f"{HOME_REGIONS[region]}{born:%Y%m%d}{serial:03d}"
        return (region * BORN_DAYS + days) * 1000 + serial, first17 + check_character(first17)

    def _passport(self) -> tuple[int, str]:
        rng = self._rng
        letter = rng.randrange(len(PASSPORT_LETTERS))  # what rng.choice(PASSPORT_LETTERS) draws
        serial = rng.randrange(10**8)
        return letter * 10**8 + serial, f"{PASSPORT_LETTERS[letter]}{serial:08d}"

    def _traveller(self) -> dict[str, object]:
        rng = self._rng
        number = self._unique(self._passport, self._passports)
        nationality = rng.choice(NATIONALITIES)
        person: dict[str, object] = {
            "id_type": "passport",
            "id_number": number,
            "nationality": nationality,
        }
        if nationality != "CHN":
            person["name"] = rng.choice(WESTERN_NAMES)
        return person

    @staticmethod
    def _unique(draw: Callable[[], tuple[int, str]], taken: Bitset) -> str:
        place, number = draw()
        while not taken.take(place):
            place, number = draw()
        return number


class Timeline:
    """One person's events; event ids count per source, so they are unique within each source."""

    def __init__(self, rng: random.Random, counters: Counter[str], person: dict[str, object]):
        self.rng = rng
        self.events: list[dict[str, object]] = []
        self._counters = counters
        self._person = person

    def add(self, source: str, event_type: str, at: datetime, **fields: object) -> None:
        if at >= END:
            return  # the period ends here; what would come later has not happened yet
        self._counters[source] += 1
        event_id = f"{source[:3].upper()}-{self._counters[source]:09d}"
        common = {
            "event_id": event_id,
            "source": source,
            "type": event_type,
            "person": self._person,
        }
        self.events.append({**common, "occurred_at": stamp(at), **fields})

    def test(self, sampled: datetime, result: str, source: str = "health") -> None:
        known = sampled + timedelta(hours=self.rng.uniform(4, 30))
        self.add(
            source, "test", known, kind="nucleic_acid", result=result, sampled_at=stamp(sampled)
        )

    def episode(
        self, kind: str, start: datetime, end_chance: float, days: tuple[float, float]
    ) -> None:
        """A measure that starts, and with `end_chance` ends some days later."""
        self.add("health", kind, start, action="start")
        if self.rng.random() < end_chance:
            self.add("health", kind, start + timedelta(days=self.rng.uniform(*days)), action="end")


def everyday(line: Timeline) -> None:
    rng = line.rng
    if rng.random() < 0.85:
        dose = rng.choices((1, 2, 3), weights=(50, 45, 5))[0]
        product = "ZF2001" if dose == 3 else rng.choice(VACCINES[:4])
        last = random_instant(rng)
        if dose == 2 and rng.random() < 0.5:  # both doses fall in the period
            first = random_instant(rng, START, START + timedelta(days=5))
            line.add("health", "vaccination", first, dose=1, product=product)
            last = first + timedelta(days=rng.uniform(14, 18))
        line.add("health", "vaccination", last, dose=dose, product=product)
    if rng.random() < 0.85:
        for _ in range(rng.choices((1, 2, 3), weights=(50, 35, 15))[0]):
            line.test(random_instant(rng, START, END - timedelta(days=1)), "negative")
    if rng.random() < 0.92:
        trips(line, rng.randint(1, 3))


def trips(line: Timeline, count: int) -> None:
    rng = line.rng
    for start in sorted(random_instant(rng) for _ in range(count)):
        if rng.random() < 0.015:
            region = rng.choice(RISK_AREAS)[0]
        else:
            region = rng.choice(HOME_REGIONS)
            if rng.random() < 0.4:
                region += f"{rng.randint(1, 20):03d}"  # a township (9 digits)
        fields: dict[str, object] = {"region": region}
        if rng.random() < 0.3:
            fields["until"] = stamp(start + timedelta(hours=rng.uniform(1, 72)))
        line.add(rng.choice(TRAVEL_SOURCES), "trip", start, **fields)


def isolated(line: Timeline, reason: str, start: datetime) -> None:
    rng = line.rng
    line.add("health", "isolation", start, action="start", setting="centralized", reason=reason)
    if rng.random() < 0.5:
        ended = start + timedelta(days=rng.uniform(7, 14))
        line.add("health", "isolation", ended, action="end")
        if rng.random() < 0.5:
            line.episode("home_observation", ended, 0.4, (5, 7))


def unusual(line: Timeline) -> None:
    """The few people whose facts make them red, yellow or flagged."""
    rng = line.rng
    roll = rng.random()
    if roll < 0.02:
        reason = rng.choice(("close_contact", "close_contact", "risk_area", "other"))
        isolated(line, reason, random_instant(rng))
    elif roll < 0.03:
        symptoms(line)
    elif roll < 0.035:
        positive(line)
    elif roll < 0.045:
        line.episode("health_monitoring", random_instant(rng), 0.5, (3, 14))
    elif roll < 0.047:
        line.episode("fever_clinic", random_instant(rng), 0.6, (0.2, 3))
    elif roll < 0.048:
        designated(line)


def symptoms(line: Timeline) -> None:
    rng = line.rng
    reported = random_instant(rng)
    which = rng.sample(("fever", "shortness_of_breath", "respiratory"), rng.randint(1, 2))
    source = rng.choice(("resident", "hotline"))
    line.add(source, "symptoms", reported, action="report", symptoms=which)
    if rng.random() < 0.6:
        line.test(reported + timedelta(hours=rng.uniform(2, 24)), "negative")
    if rng.random() < 0.3:
        line.add(
            source, "symptoms", reported + timedelta(days=rng.uniform(2, 6)), action="resolved"
        )


def positive(line: Timeline) -> None:
    rng = line.rng
    sampled = random_instant(rng, START, END - timedelta(days=2))
    line.test(sampled, "positive")
    if rng.random() < 0.7:
        status = rng.choices(("confirmed", "asymptomatic", "suspected"), weights=(5, 3, 2))[0]
        diagnosed = sampled + timedelta(hours=rng.uniform(30, 48))
        line.add("health", "diagnosis", diagnosed, status=status)
        if status == "suspected" and rng.random() < 0.5:
            line.add("health", "diagnosis", diagnosed + timedelta(days=2), status="excluded")


def designated(line: Timeline) -> None:
    rng = line.rng
    start = random_instant(rng)
    colour = rng.choice(("red", "yellow"))
    authority = "杭州市新冠肺炎疫情防控工作领导小组办公室"
    line.add("admin", "designation", start, action="start", color=colour,
             reason="联防联控机制研判", authority=authority)  # fmt: skip
    if rng.random() < 0.3:
        line.add("admin", "designation", start + timedelta(days=7), action="end", color=colour)


def arrival(line: Timeline) -> None:
    """Travellers from abroad: an entry, and for half of them inbound isolation on arrival."""
    rng = line.rng
    entered = random_instant(rng)
    line.add(
        "border",
        "entry",
        entered,
        port=rng.choice(PORTS),
        from_country=rng.choice(("USA", "GBR", "JPN", "KOR")),
    )
    if rng.random() < 0.5:
        isolated(line, "inbound", entered + timedelta(hours=rng.uniform(1, 6)))


def person_events(
    rng: random.Random, people: People, counters: Counter[str]
) -> list[dict[str, object]]:
    person = people.next()
    line = Timeline(rng, counters, person)
    everyday(line)
    unusual(line)
    if person["id_type"] == "passport" and rng.random() < 0.7:
        arrival(line)
    if not line.events:  # everybody known to the platform has at least one fact
        line.test(random_instant(rng, START, END - timedelta(days=2)), "negative")
    return line.events


MAX_BUCKET_BYTES = 128 * 2**20  # shuffled in memory up to this; bigger buckets are split first
SPREAD = 64  # buckets (and sub-buckets of a bucket too big)


class ShuffledLines:
    """Lines spread at random over bucket files, then each bucket shuffled: a streaming shuffle.

    A bucket bigger than `max_bytes` is spread over sub-buckets in turn (the same rng), each then
    shuffled in memory: still a uniform shuffle, and memory holds at most one bucket of
    `max_bytes` whatever the population. Up to 64 × `max_bytes` of events (about 8 M persons) no
    bucket is split: the output is the same as with one in-memory shuffle per bucket.
    """

    def __init__(self, folder: Path, rng: random.Random, max_bytes: int = MAX_BUCKET_BYTES) -> None:
        self._rng = rng
        self._max_bytes = max_bytes
        self._paths = [folder / f"bucket-{index:03d}" for index in range(SPREAD)]
        self._files: list[IO[str]] = [path.open("w", encoding="utf-8") for path in self._paths]

    def write(self, line: str) -> None:
        self._rng.choice(self._files).write(line)

    def copy_to(self, out: IO[bytes]) -> None:
        for file in self._files:
            file.close()
        for path in self._paths:
            self._copy_bucket(path, out)

    def _copy_bucket(self, path: Path, out: IO[bytes]) -> None:
        if path.stat().st_size > self._max_bytes:
            for part in self._split(path):
                self._copy_bucket(part, out)
            return
        # Bytes, not str: a line of Chinese text costs 2–4 bytes a character as a str. Lines end
        # in "\n" only (JSON escapes control characters), so the lines are those a str would give.
        with path.open("rb") as bucket:
            lines = bucket.readlines()
        self._rng.shuffle(lines)
        out.writelines(lines)
        path.unlink()

    def _split(self, path: Path) -> list[Path]:
        parts = [path.with_name(f"{path.name}-{index:03d}") for index in range(SPREAD)]
        files = [part.open("wb") for part in parts]
        with path.open("rb") as bucket:
            for line in bucket:
                self._rng.choice(files).write(line)
        for file in files:
            file.close()
        path.unlink()
        return parts


def write_jsonl(path: Path, records: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.writelines(_line(record) for record in records)


def _line(record: dict[str, object]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def risk_area_records() -> list[dict[str, object]]:
    records: list[dict[str, object]] = []
    for region, level, first, last in RISK_AREAS:
        record: dict[str, object] = {"region": region, "level": level}
        record["effective_from"] = stamp(START + timedelta(days=first - 1))
        if last is not None:
            record["effective_to"] = stamp(START + timedelta(days=last - 1))
        records.append(record)
    return records


def generate(
    out: Path, persons: int, seed: int, max_bucket_bytes: int = MAX_BUCKET_BYTES
) -> dict[str, object]:
    """Write the population of `seed` into `out`; returns the manifest (also population.json)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    people, counters, types = People(rng), Counter[str](), Counter[str]()
    write_jsonl(out / "risk_areas.jsonl", risk_area_records())
    write_jsonl(out / "severe_areas.jsonl", list(SEVERE_AREAS))
    with tempfile.TemporaryDirectory(dir=out) as scratch:
        shuffled = ShuffledLines(Path(scratch), random.Random(f"{seed}/shuffle"), max_bucket_bytes)
        for _ in range(persons):
            for event in person_events(rng, people, counters):
                types[str(event["type"])] += 1
                shuffled.write(_line(event))
        partial = out / "events.jsonl.part"
        with partial.open("wb") as events:
            shuffled.copy_to(events)
    os.replace(partial, out / "events.jsonl")  # a run stopped half-way leaves no events.jsonl
    manifest: dict[str, object] = {
        "generator_version": GENERATOR_VERSION,
        "persons": persons,
        "seed": seed,
        "events": sum(types.values()),
        "events_by_type": dict(sorted(types.items())),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    manifest = generate(args.out, args.persons, args.seed)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10  # KiB on Linux
    print(f"{manifest['persons']} persons, {manifest['events']} events in {args.out}")
    print(f"peak memory {peak:,.0f} MiB", file=sys.stderr)
    print(json.dumps(manifest["events_by_type"]))


if __name__ == "__main__":
    main()

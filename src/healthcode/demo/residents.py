"""Four fixed demo residents, the same in every demo database, for the README and the browser tests.

They are synthetic: the ID numbers are valid (GB 11643 check character, real county codes) but made
up, and the phone numbers sit in one block no generated person is given. Their facts are dated
relative to the demo's instant like everyone else's, so their colours hold whenever it is loaded:

| name | phone | ID number | colour | why |
|---|---|---|---|---|
| 陈晓明 | 13800000001 | 330106198506122133 | green | vaccinated, tested negative |
| 王桂英 | (none) | 330106194303052421 | green | his mother (born 1943), tested negative |
| 李娜 | 13800000002 | 330203199208170648 | yellow | reported a fever yesterday (A3) |
| 张伟 | 13800000003 | 330302197801203156 | red | high-risk area, then isolation (A2, A6) |

王桂英 is known to the platform through her test, but nobody has applied for her code: the demo
leaves that, as her son through the web pages (家人代办, S3), to whoever tries it out.
The population register (police) has all four, 陈晓明 and his mother in one household (户) and
her with no phone on record, so his application for her is bound at once (ADR 0009).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from healthcode.demo.places import HIGH_RISK
from healthcode.demo.timeline import EventIds, Record, Timeline
from healthcode.domain.applications import Channel
from healthcode.domain.identity import IdType

EVENT_PREFIX: Final = "demo-fixed"


@dataclass(frozen=True, slots=True)
class FixedResident:
    name: str
    id_number: str
    phone: str | None
    colour: str  # once applied for
    channel: Channel | None  # None: the demo does not apply for them
    household: str = ""  # 户号 in the population register

    @property
    def record(self) -> Record:
        """The exchange format's `person` of their facts."""
        record: Record = {"id_type": IdType.RESIDENT_ID.value, "id_number": self.id_number}
        record["name"] = self.name
        if self.phone is not None:
            record["phone"] = self.phone
        return record


GREEN_RESIDENT: Final = FixedResident(
    "陈晓明", "330106198506122133", "13800000001", "green", Channel.WEB, "3301060001"
)
GREEN_RESIDENT_PARENT: Final = FixedResident(
    "王桂英", "330106194303052421", None, "green", None, "3301060001"
)
YELLOW_RESIDENT: Final = FixedResident(
    "李娜", "330203199208170648", "13800000002", "yellow", Channel.ALIPAY, "3302030002"
)
RED_RESIDENT: Final = FixedResident(
    "张伟", "330302197801203156", "13800000003", "red", Channel.WECHAT, "3303020003"
)
FIXED_RESIDENTS: Final = (GREEN_RESIDENT, GREEN_RESIDENT_PARENT, YELLOW_RESIDENT, RED_RESIDENT)


def register_records(now: datetime) -> list[Record]:
    """Their entries in the population register (SPEC §1 type `register`), dated a year back."""
    return [
        {
            "event_id": f"{EVENT_PREFIX}-register-{index}",
            "source": "police",
            "type": "register",
            "occurred_at": (now - timedelta(days=365)).isoformat(),
            "person": resident.record,
            "household": resident.household,
        }
        for index, resident in enumerate(FIXED_RESIDENTS)
    ]


def fixed_events(now: datetime) -> list[Record]:
    """Their facts as of `now`. The randomness only spreads times; its seed is fixed."""
    rng = random.Random(EVENT_PREFIX)  # noqa: S311 - synthetic data, not a secret
    ids = EventIds(EVENT_PREFIX)
    events: list[Record] = []
    for resident, write in (
        (GREEN_RESIDENT, _green),
        (GREEN_RESIDENT_PARENT, _parent),
        (YELLOW_RESIDENT, _yellow),
        (RED_RESIDENT, _red),
    ):
        line = Timeline(rng, now, resident.record, ids)
        write(line)
        events += line.events
    return events


def _green(line: Timeline) -> None:
    first = line.ago(120, 119)
    line.add("health", "vaccination", first, dose=1, product="CoronaVac")
    line.add("health", "vaccination", first + timedelta(days=28), dose=2, product="CoronaVac")
    line.test(line.ago(9, 8))
    line.test(line.ago(3, 2))
    left = line.ago(6, 5)
    line.trip("330203", left - timedelta(days=1), left)  # a day in Ningbo
    line.trip("330106", left + timedelta(hours=2))


def _parent(line: Timeline) -> None:
    line.add("health", "vaccination", line.ago(60, 59), dose=1, product="BBIBP-CorV")
    line.test(line.ago(4, 3))  # the community's testing round


def _yellow(line: Timeline) -> None:
    line.test(line.ago(12, 10))
    line.add("resident", "symptoms", line.ago(1.2, 1), action="report",
             symptoms=["fever", "respiratory"])  # fmt: skip


def _red(line: Timeline) -> None:
    arrived = line.ago(9, 8)
    left = line.ago(4.5, 4)
    line.trip(HIGH_RISK, arrived, left)
    line.trip("330302", left + timedelta(hours=3))
    line.measure("isolation", left + timedelta(hours=5), setting="centralized", reason="risk_area")

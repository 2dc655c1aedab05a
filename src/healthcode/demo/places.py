"""The places of the demo: risk areas (A6), severe designations (A7), venues with scanners (M3, M5,
S2) and the institutions that certify (S4). Dated relative to `now`, never read from the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from healthcode.demo.identities import ZHEJIANG_COUNTIES
from healthcode.demo.timeline import Record, stamp
from healthcode.domain.areas import RiskLevel
from healthcode.domain.certificates import InstitutionKind
from healthcode.domain.regions import division
from healthcode.domain.timezones import CHINA_TIME
from healthcode.domain.venues import Venue

# Regions rated medium or high now, where the red travellers of the demo have been.
HIGH_RISK: Final = "420106"  # 武汉市武昌区
MEDIUM_RISK: Final = ("130104", "310115002")  # 石家庄市桥西区; a township of 上海市浦东新区
# (region, level, first day, last day or None), days counted back from now.
RISK_AREAS: Final = (
    (HIGH_RISK, RiskLevel.HIGH, 60, None),
    ("130104", RiskLevel.MEDIUM, 60, None),
    ("310115002", RiskLevel.MEDIUM, 45, None),
    ("110105", RiskLevel.LOW, 60, None),  # listed, but a low rating changes no code
    ("320583", RiskLevel.MEDIUM, 60, 30),  # lifted a month ago: old stays there no longer count
)
SEVERE_REGION: Final = "220202"  # 吉林市昌邑区
SEVERE_PLACE: Final = ("110106", "demo-place-110106-market")  # a market in 北京市丰台区
LEADING_GROUP: Final = "浙江省新冠肺炎疫情防控工作领导小组办公室"

# What each category is called in a venue's name.
VENUE_LABELS: Final = {
    Venue.PUBLIC_TRANSPORT: "公交枢纽", Venue.GATHERING: "会展活动", Venue.STATION: "火车站",
    Venue.LONG_DISTANCE_BUS_STATION: "长途汽车站", Venue.AIRPORT: "机场",
    Venue.PORT: "客运港", Venue.FERRY_DOCK: "轮渡码头", Venue.BORDER_PORT: "口岸",
    Venue.WHOLESALE_MARKET: "农产品批发市场", Venue.FARMERS_MARKET: "农贸市场",
    Venue.MALL: "购物中心", Venue.SUPERMARKET: "超市", Venue.LIBRARY: "图书馆",
    Venue.MUSEUM: "博物馆", Venue.ART_GALLERY: "美术馆", Venue.EXHIBITION_HALL: "展览馆",
    Venue.GYMNASIUM: "体育馆", Venue.CINEMA_THEATRE: "影剧院", Venue.DANCE_HALL: "歌舞厅",
    Venue.INTERNET_CAFE: "网吧", Venue.BATHHOUSE: "浴场", Venue.SCHOOL: "实验学校",
    Venue.ELDERLY_HOME: "养老院", Venue.WELFARE_HOME: "福利院", Venue.PRISON: "监狱",
    Venue.MEDICAL_INSTITUTION: "人民医院", Venue.TRAFFIC_CHECKPOINT: "交通卡口",
    Venue.RESIDENTIAL_COMMUNITY: "小区", Venue.PARK: "公园", Venue.OTHER_PUBLIC_PLACE: "市民中心",
}  # fmt: skip
# A few venues lie in areas their operators rated medium, so that they check every code (S2).
MEDIUM_RISK_VENUES: Final = frozenset({Venue.WHOLESALE_MARKET, Venue.FARMERS_MARKET, Venue.MALL})


@dataclass(frozen=True, slots=True)
class PlannedVenue:
    id: str
    name: str
    category: Venue
    region: str
    area_risk: RiskLevel

    @property
    def device_id(self) -> str:
        return f"{self.id}-scanner-1"


@dataclass(frozen=True, slots=True)
class PlannedInstitution:
    id: str
    name: str
    kind: InstitutionKind
    region: str


COMMUNITY: Final = PlannedInstitution(
    "demo-community-330106", "西湖区北山街道社区（演示）", InstitutionKind.COMMUNITY, "330106"
)
HOSPITAL: Final = PlannedInstitution(
    "demo-hospital-330106", "西湖区人民医院（演示）", InstitutionKind.MEDICAL, "330106"
)
INSTITUTIONS: Final = (COMMUNITY, HOSPITAL)


def days_before(now: datetime, days: int) -> datetime:
    """Midnight in China `days` before the day of `now`: lists start and end on whole days."""
    local = now.astimezone(CHINA_TIME) - timedelta(days=days)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def risk_area_records(now: datetime) -> list[Record]:
    records: list[Record] = []
    for region, level, first, last in RISK_AREAS:
        record: Record = {"region": region, "level": level.value}
        record["effective_from"] = stamp(days_before(now, first))
        if last is not None:
            record["effective_to"] = stamp(days_before(now, last))
        records.append(record)
    return records


def severe_records(now: datetime) -> list[Record]:
    common: Record = {
        "lookback_days": 14,
        "effective_from": stamp(days_before(now, 30)),
        "approved_by": LEADING_GROUP,
    }
    return [
        {"designation_id": "DEMO-A7-001", "region": SEVERE_REGION, **common}
        | {"assessment_ref": "浙卫评〔演示〕1号"},
        {"designation_id": "DEMO-A7-002", "venue_id": SEVERE_PLACE[1], **common}
        | {"assessment_ref": "浙卫评〔演示〕2号"},
    ]


def venues() -> list[PlannedVenue]:
    """One venue of every category, spread over the counties of Zhejiang."""
    planned = []
    for index, category in enumerate(Venue):
        region = ZHEJIANG_COUNTIES[index % len(ZHEJIANG_COUNTIES)]
        county = division(region)
        name = f"{county.name if county else ''}{VENUE_LABELS[category]}（演示）"
        risk = RiskLevel.MEDIUM if category in MEDIUM_RISK_VENUES else RiskLevel.LOW
        venue_id = "demo-" + category.value.replace("_", "-")
        planned.append(PlannedVenue(venue_id, name, category, region, risk))
    return planned

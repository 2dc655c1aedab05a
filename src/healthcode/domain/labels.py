"""What people call the system's categories, Chinese first: document types, venue categories,
risk levels, and the departments and kinds of the facts they share."""

from __future__ import annotations

from typing import Final

from healthcode.domain.areas import RiskLevel
from healthcode.domain.facts import Source
from healthcode.domain.identity import IdType
from healthcode.domain.text import Bilingual
from healthcode.domain.venues import Venue

ID_TYPE_NAMES: Final = {
    IdType.RESIDENT_ID: Bilingual("居民身份证", "Resident ID card"),
    IdType.PASSPORT: Bilingual("护照", "Passport"),
    IdType.HK_MACAO_PERMIT: Bilingual("港澳居民来往内地通行证", "Hong Kong/Macao permit"),
    IdType.TAIWAN_PERMIT: Bilingual("台湾居民来往大陆通行证", "Taiwan permit"),
    IdType.FOREIGN_PERMANENT_RESIDENT: Bilingual(
        "外国人永久居留身份证", "Foreign permanent residence card"
    ),
}

VENUE_NAMES: Final = {
    Venue.PUBLIC_TRANSPORT: Bilingual("公共交通", "Public transport"),
    Venue.GATHERING: Bilingual("聚集性活动", "Gathering"),
    Venue.STATION: Bilingual("火车站", "Railway station"),
    Venue.LONG_DISTANCE_BUS_STATION: Bilingual("长途汽车站", "Long-distance bus station"),
    Venue.AIRPORT: Bilingual("机场", "Airport"),
    Venue.PORT: Bilingual("客运港口", "Passenger port"),
    Venue.FERRY_DOCK: Bilingual("轮渡码头", "Ferry dock"),
    Venue.BORDER_PORT: Bilingual("口岸", "Border port"),
    Venue.WHOLESALE_MARKET: Bilingual("农产品批发市场", "Wholesale market"),
    Venue.FARMERS_MARKET: Bilingual("农贸市场", "Farmers' market"),
    Venue.MALL: Bilingual("商场", "Shopping mall"),
    Venue.SUPERMARKET: Bilingual("超市", "Supermarket"),
    Venue.LIBRARY: Bilingual("图书馆", "Library"),
    Venue.MUSEUM: Bilingual("博物馆", "Museum"),
    Venue.ART_GALLERY: Bilingual("美术馆", "Art gallery"),
    Venue.EXHIBITION_HALL: Bilingual("展览馆", "Exhibition hall"),
    Venue.GYMNASIUM: Bilingual("体育馆", "Gymnasium"),
    Venue.CINEMA_THEATRE: Bilingual("影剧院", "Cinema or theatre"),
    Venue.DANCE_HALL: Bilingual("歌舞娱乐场所", "Dance hall"),
    Venue.INTERNET_CAFE: Bilingual("网吧", "Internet café"),
    Venue.BATHHOUSE: Bilingual("洗浴场所", "Bathhouse"),
    Venue.SCHOOL: Bilingual("学校", "School"),
    Venue.ELDERLY_HOME: Bilingual("养老院", "Home for the elderly"),
    Venue.WELFARE_HOME: Bilingual("福利院", "Welfare home"),
    Venue.PRISON: Bilingual("监所", "Prison"),
    Venue.MEDICAL_INSTITUTION: Bilingual("医疗机构", "Medical institution"),
    Venue.TRAFFIC_CHECKPOINT: Bilingual("交通卡口", "Traffic checkpoint"),
    Venue.RESIDENTIAL_COMMUNITY: Bilingual("居住小区", "Residential community"),
    Venue.PARK: Bilingual("公园", "Park"),
    Venue.OTHER_PUBLIC_PLACE: Bilingual("其他公共场所", "Other public place"),
}

RISK_NAMES: Final = {
    RiskLevel.HIGH: Bilingual("高风险", "High risk"),
    RiskLevel.MEDIUM: Bilingual("中风险", "Medium risk"),
    RiskLevel.LOW: Bilingual("低风险", "Low risk"),
}

SOURCE_NAMES: Final = {
    Source.HEALTH: Bilingual("卫生健康部门", "Health authority"),
    Source.POLICE: Bilingual("公安部门", "Police"),
    Source.TRANSPORT: Bilingual("交通运输部门", "Transport authority"),
    Source.BORDER: Bilingual("边检部门", "Border control"),
    Source.CUSTOMS: Bilingual("海关", "Customs"),
    Source.TELECOM: Bilingual("通信运营商", "Telecom operator"),
    Source.AVIATION: Bilingual("民航部门", "Civil aviation"),
    Source.RAIL: Bilingual("铁路部门", "Railway"),
    Source.RESIDENT: Bilingual("本人申报", "Reported by the person"),
    Source.HOTLINE: Bilingual("12345 热线", "12345 hotline"),
    Source.ADMIN: Bilingual("疫情防控办", "Epidemic prevention office"),
}
FACT_TYPE_NAMES: Final = {
    "diagnosis": Bilingual("诊断", "Diagnosis"),
    "isolation": Bilingual("集中隔离", "Centralized isolation"),
    "home_observation": Bilingual("居家观察", "Home observation"),
    "health_monitoring": Bilingual("健康监测", "Health monitoring"),
    "fever_clinic": Bilingual("发热门诊", "Fever clinic"),
    "symptoms": Bilingual("症状", "Symptoms"),
    "test": Bilingual("核酸检测", "Nucleic-acid test"),
    "vaccination": Bilingual("疫苗接种", "Vaccination"),
    "trip": Bilingual("行程", "Trip"),
    "entry": Bilingual("入境", "Border entry"),
    "designation": Bilingual("认定", "Designation"),
    "retraction": Bilingual("撤销", "Retraction"),
}

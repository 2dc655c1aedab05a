"""Applying for a code (A1, A8, S3): through which channel, for whom, and which version.

Pure rules; the use case that stores an application is `services/households/applications.py`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from healthcode.domain.facts import PersonKey
from healthcode.domain.identity import IdType, is_residence_permit_number


class Channel(StrEnum):
    """Where an application came in (A1); every channel app calls the same use case."""

    WEB = "web"  # the project's own pages
    ALIPAY = "alipay"
    WECHAT = "wechat"  # the 浙里督 mini program
    ZHELIBANG = "zhelibang"  # 浙里办, the provincial government app
    HOTLINE = "hotline"  # 12345: staff apply for the caller (S3)


class Relationship(StrEnum):
    """What an applicant on someone's behalf is to them (委托他人代为申领, 家人代办: A1, S3)."""

    PARENT = "parent"
    CHILD = "child"
    SPOUSE = "spouse"
    SIBLING = "sibling"
    GRANDPARENT = "grandparent"
    GRANDCHILD = "grandchild"
    GUARDIAN = "guardian"
    OTHER = "other"


# 近期入境人员: inbound travellers were managed "14+7+7" in 2021 (14 days of centralised isolation,
# 7 at home, 7 of health monitoring). The international version serves them for that whole time.
RECENT_ENTRY: Final = timedelta(days=28)

INTERNATIONAL_REFUSED: Final = (
    "the international version is for holders of passports, Hong Kong, Macao or Taiwan permits "
    "or residence permits, foreign permanent residence cards, and travellers who entered in the "
    "last 28 days; a mainland resident ID holder gets the domestic version"
)


def proxy_problem(
    person: PersonKey, applicant: PersonKey | None, relationship: Relationship | None
) -> str | None:
    """None when the application names its applicant consistently, else the reason.

    Someone applying on another's behalf is a different person and says how they are related
    (D2: proxies are accountable); someone applying for themselves names no relationship.
    """
    if applicant is None:
        return None if relationship is None else "a relationship needs an applicant on behalf"
    if applicant == person:
        return "an applicant on someone's behalf must be a different person"
    if relationship is None:
        return "an application on someone's behalf needs the relationship"
    return None


def international_by_default(id_type: IdType) -> bool:
    """Holders of every document but the mainland resident ID get the international version (A8)."""
    return id_type is not IdType.RESIDENT_ID


def international_refusal(key: PersonKey, last_entry: datetime | None, now: datetime) -> str | None:
    """None when this person may have the international version, else why not (A8).

    It serves recent inbound travellers, especially those without a mainland resident ID, and
    Hong Kong, Macao and Taiwan residents and foreigners already in Zhejiang who choose it. A
    resident-ID-shaped number of a 港澳台居民居住证 is such a resident, not a mainland one.
    """
    if international_by_default(key.id_type) or is_residence_permit_number(key.id_number):
        return None
    if last_entry is not None and now - RECENT_ENTRY <= last_entry <= now:
        return None
    return INTERNATIONAL_REFUSED

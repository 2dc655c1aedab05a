"""Paper certificates of communities and medical institutions (S4): who issues them, what they say.

A certificate states one of a fixed list of things, each with its Chinese and English text: a
free-text field could carry personal or health data into a QR code anyone can read (D2).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from healthcode.domain.text import Bilingual


class InstitutionKind(StrEnum):
    COMMUNITY = "community"  # 社区 (residents' committee, community health service)
    MEDICAL = "medical"  # 医疗机构


class Statement(StrEnum):
    LOW_RISK_RESIDENT = "low_risk_resident"
    NO_ABNORMALITY = "no_abnormality"


STATEMENT_TEXTS: Final[Mapping[Statement, Bilingual]] = {
    Statement.LOW_RISK_RESIDENT: Bilingual(
        "本社区居民，经核实近14天无中高风险地区旅居史",
        "Resident of this community; no stay in a medium or high-risk area in the last 14 days",
    ),
    Statement.NO_ABNORMALITY: Bilingual(
        "经诊查未见发热等新冠肺炎相关症状",
        "Examined: no fever or other COVID-19 symptoms",
    ),
}

# A community vouches for its residents; a medical institution for what it examined.
ISSUED_BY: Final[Mapping[Statement, InstitutionKind]] = {
    Statement.LOW_RISK_RESIDENT: InstitutionKind.COMMUNITY,
    Statement.NO_ABNORMALITY: InstitutionKind.MEDICAL,
}


def statement_problem(kind: InstitutionKind, statement: Statement) -> str | None:
    """None when an institution of `kind` may certify `statement`, else the reason."""
    if ISSUED_BY[statement] is not kind:
        return f"a {kind.value} institution cannot certify {statement.value}"
    return None


NOT_REGISTERED: Final = "not_registered"
_UNREADABLE: Final = Bilingual("无法识读", "it cannot be read")

# Why a checkpoint refuses a certificate: the token's rejections (`healthcode.tokens.Rejection`
# values) and the institution check, in the words staff and holder read.
REFUSALS: Final[Mapping[str, Bilingual]] = {
    NOT_REGISTERED: Bilingual("开具机构未登记", "it was not issued by a registered institution"),
    "bad_prefix": Bilingual("不是纸质证明", "it is not a paper certificate"),
    "bad_encoding": _UNREADABLE,
    "bad_compression": _UNREADABLE,
    "bad_structure": _UNREADABLE,
    "issuer_not_trusted": Bilingual("签发方不受信任", "its issuer is not trusted"),
    "unknown_key": Bilingual("签发密钥未知", "its signing key is unknown"),
    "revoked": Bilingual("签发密钥已吊销", "its signing key has been revoked"),
    "bad_signature": Bilingual("签名无效", "its signature is not valid"),
    "expired": Bilingual("已过期", "it has expired"),
    "not_yet_valid": Bilingual("尚未生效", "it is not valid yet"),
}

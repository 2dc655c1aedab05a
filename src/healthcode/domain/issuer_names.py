"""What a code's issuer is called where people read it (a paper code, a card): the authority's
name, never its ISO 3166 code (`CN-33` → 浙江省…疫情防控工作领导小组办公室).

Issuers are named as tokens and trust lists name them (tokens/keys.py): `CN` for the national
platform, `CN-NN` for a province-level division, NN being its GB/T 2260 prefix.
"""

from __future__ import annotations

from typing import Final

from healthcode.domain.regions import division
from healthcode.domain.text import Bilingual

# The authorities whose own names are known; any other province is named after the division.
AUTHORITIES: Final = {
    "CN": Bilingual("国家政务服务平台", "National Government Service Platform"),
    "CN-33": Bilingual(
        "浙江省新型冠状病毒肺炎疫情防控工作领导小组办公室",
        "Zhejiang Provincial COVID-19 Prevention and Control Leading Group Office",
    ),
}
PROVINCES_EN: Final = {
    "11": "Beijing", "12": "Tianjin", "13": "Hebei", "14": "Shanxi", "15": "Inner Mongolia",
    "21": "Liaoning", "22": "Jilin", "23": "Heilongjiang", "31": "Shanghai", "32": "Jiangsu",
    "33": "Zhejiang", "34": "Anhui", "35": "Fujian", "36": "Jiangxi", "37": "Shandong",
    "41": "Henan", "42": "Hubei", "43": "Hunan", "44": "Guangdong", "45": "Guangxi",
    "46": "Hainan", "50": "Chongqing", "51": "Sichuan", "52": "Guizhou", "53": "Yunnan",
    "54": "Tibet", "61": "Shaanxi", "62": "Gansu", "63": "Qinghai", "64": "Ningxia",
    "65": "Xinjiang", "71": "Taiwan", "81": "Hong Kong", "82": "Macao",
}  # fmt: skip


def issuer_name(issuer: str) -> Bilingual:
    """The issuing authority's name; an issuer outside the tables keeps its code."""
    known = AUTHORITIES.get(issuer)
    if known is not None:
        return known
    prefix = issuer.removeprefix("CN-")
    province = division(f"{prefix}0000") if prefix != issuer and len(prefix) == 2 else None
    if province is None or prefix not in PROVINCES_EN:
        return Bilingual(issuer, issuer)
    return Bilingual(
        f"{province.name}疫情防控工作领导小组办公室",
        f"{PROVINCES_EN[prefix]} COVID-19 Prevention and Control Office",
    )

"""What the formats, checks and kinds of facts are called on a screen, Chinese first."""

from typing import Final

from healthcode.domain.text import Bilingual
from healthcode.foreign.verdicts import CheckName, FactKind, Format

FORMAT_NAMES: Final[dict[Format, Bilingual]] = {
    "eu-dcc": Bilingual("欧盟数字新冠证书", "EU Digital COVID Certificate"),
    "shc": Bilingual("SMART 健康卡", "SMART Health Card"),
    "nzcp": Bilingual("新西兰新冠通行证", "NZ COVID Pass"),
}
CHECK_NAMES: Final[dict[CheckName, Bilingual]] = {
    "decode": Bilingual("解码", "decode"),
    "signature": Bilingual("签名", "signature"),
    "expiry": Bilingual("有效期", "expiry"),
    "schema": Bilingual("内容规范", "schema"),
    "key_usage": Bilingual("密钥用途", "key usage"),
}
CHECK_OUTCOMES: Final[dict[bool | None, Bilingual]] = {
    True: Bilingual("通过", "passed"),
    False: Bilingual("未通过", "failed"),
    None: Bilingual("不适用", "not applicable"),
}
VERDICTS: Final[dict[bool, Bilingual]] = {
    True: Bilingual("有效", "valid"),
    False: Bilingual("无效", "not valid"),
}
FACT_KINDS: Final[dict[FactKind, Bilingual]] = {
    "vaccination": Bilingual("疫苗接种", "vaccination"),
    "test": Bilingual("检测", "test"),
    "recovery": Bilingual("康复", "recovery"),
}


def labels_json() -> dict[str, dict[str, dict[str, str]]]:
    """Every label above as JSON, for a page that shows verdicts (outcomes keyed "true" etc.)."""
    return {
        "formats": {key: name.as_dict() for key, name in FORMAT_NAMES.items()},
        "checks": {key: name.as_dict() for key, name in CHECK_NAMES.items()},
        "outcomes": {
            {True: "true", False: "false", None: "null"}[key]: name.as_dict()
            for key, name in CHECK_OUTCOMES.items()
        },
        "verdicts": {str(key).lower(): name.as_dict() for key, name in VERDICTS.items()},
        "kinds": {key: name.as_dict() for key, name in FACT_KINDS.items()},
    }

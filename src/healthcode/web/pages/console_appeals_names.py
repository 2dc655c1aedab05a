"""What the appeals pages call things (S6): categories, steps, tiers and channels, Chinese first.

The values are the stable codes of the API and the database; only these names are shown. The
categories are worded for staff (the resident pages word them as the person would); statuses
and document types are named as everywhere else.
"""

from __future__ import annotations

from typing import Final

from healthcode.domain.appeals import (
    AppealCategory,
    AppealChannel,
    AppealEventKind,
    Language,
    Tier,
)
from healthcode.domain.text import Bilingual

CATEGORY_NAMES: Final = {
    AppealCategory.WRONG_COLOUR: Bilingual("颜色不对", "Wrong colour"),
    AppealCategory.MISSING_TEST_RESULT: Bilingual("缺少核酸检测结果", "Missing test result"),
    AppealCategory.WRONG_TRIP: Bilingual("行程记录有误", "Wrong trip"),
    AppealCategory.CANNOT_APPLY: Bilingual("无法申领", "Cannot apply"),
    AppealCategory.PROXY_PROBLEM: Bilingual("代领问题", "Proxy problem"),
    AppealCategory.MISUSE: Bilingual("滥用健康码造成损害", "Misuse of the code that caused harm"),
    AppealCategory.OTHER: Bilingual("其他", "Other"),
}
TIER_NAMES: Final = {
    Tier.COUNTY: Bilingual("县（市、区）", "County"),
    Tier.CITY: Bilingual("设区市", "City"),
    Tier.PROVINCE: Bilingual("省", "Province"),
}
CHANNEL_NAMES: Final = {
    AppealChannel.HOTLINE: Bilingual("12345 热线", "12345 hotline"),
    AppealChannel.WEB: Bilingual("健康码页面", "Code page"),
}
EVENT_NAMES: Final = {
    AppealEventKind.FILED: Bilingual("受理", "Filed"),
    AppealEventKind.MERGED: Bilingual("重复申诉并入", "Repeat filing merged"),
    AppealEventKind.ROUTED: Bilingual("分派属地", "Routed"),
    AppealEventKind.ESCALATED: Bilingual("超时升级", "Escalated"),
    AppealEventKind.FACT_ADDED: Bilingual("补录事实", "Fact added"),
    AppealEventKind.FACT_RETRACTED: Bilingual("撤销事实", "Fact retracted"),
    AppealEventKind.REJECTED: Bilingual("不予支持", "Rejected"),
    AppealEventKind.OVERRIDE_REQUESTED: Bilingual("申请赋码", "Override requested"),
    AppealEventKind.OVERRIDE_APPROVED: Bilingual("赋码审批通过", "Override approved"),
    AppealEventKind.ANSWERED: Bilingual("答复", "Answered"),
    AppealEventKind.FEEDBACK_SENT: Bilingual("短信已发送", "Text sent"),
}
LANGUAGE_NAMES: Final = {
    Language.ZH: Bilingual("中文", "Chinese"),
    Language.EN: Bilingual("英文", "English"),
}

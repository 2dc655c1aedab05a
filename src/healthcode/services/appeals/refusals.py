"""What a caller is told when an appeal step is not done (S6).

Refusals are returned, not raised, so that the transaction which audits them still commits; the
web layer answers with `status`. A handler of another region is told "not found", never
"forbidden": whether an appeal exists elsewhere is itself something it may not learn.
Input that cannot be used at all (an invalid document number or phone) raises `AppealError`.
"""

from __future__ import annotations

from typing import Final

from healthcode.domain.text import Bilingual
from healthcode.services.refusals import Refusal


class AppealError(ValueError):
    """Input an appeal cannot be taken with; the message names the field, never its value."""


# The shape every returned refusal has; named for what refuses here.
AppealRefusal = Refusal


NOT_FOUND: Final = AppealRefusal(404, "not_found", Bilingual("找不到该申诉。", "Appeal not found."))
FORBIDDEN: Final = AppealRefusal(
    403, "forbidden", Bilingual("您的角色不能办理此事项。", "Your role may not do this.")
)
CLOSED: Final = AppealRefusal(
    409,
    "closed",
    Bilingual("该申诉已办结，不能再处理。", "This appeal is closed and can no longer be handled."),
)
INVALID_FACT: Final = AppealRefusal(
    422,
    "invalid_fact",
    Bilingual(
        "只能补录已发生的事实；改变颜色须通过赋码审批，撤销事实须使用撤销功能。",
        "Only facts that have happened may be added; a colour override needs the approval "
        "procedure, and withdrawing a fact has its own step.",
    ),
)
FACT_NOT_FOUND: Final = AppealRefusal(
    404,
    "fact_not_found",
    Bilingual("此人没有该编号的事实记录。", "This person has no fact with that event id."),
)
REASON_REQUIRED: Final = AppealRefusal(
    422, "reason_required", Bilingual("请填写理由。", "A reason is required.")
)
INVALID_OVERRIDE: Final = AppealRefusal(
    422,
    "invalid_override",
    Bilingual(
        "赋码须注明颜色、作出决定的机关和有效期（不超过规定期限）。",
        "An override needs a colour, the deciding authority and an expiry within the limit.",
    ),
)
OVERRIDE_PENDING: Final = AppealRefusal(
    409,
    "override_pending",
    Bilingual(
        "已有待审批的赋码申请。", "An override for this appeal is already awaiting approval."
    ),
)
NO_OVERRIDE: Final = AppealRefusal(
    404,
    "no_pending_override",
    Bilingual("没有待审批的赋码申请。", "No override is awaiting approval."),
)
SAME_PERSON: Final = AppealRefusal(
    409,
    "same_person",
    Bilingual(
        "赋码须由申请人以外的另一人审批。",
        "An override must be approved by someone other than the person who asked for it.",
    ),
)
OVERRIDE_EXPIRED: Final = AppealRefusal(
    409,
    "override_expired",
    Bilingual("赋码申请的有效期已过。", "The override's expiry has already passed."),
)
SENDER_UNAVAILABLE: Final = AppealRefusal(
    503,
    "sender_unavailable",
    Bilingual(
        "短信通道不可用，答复未发送，请稍后再试。",
        "No text message channel is available; the answer was not sent. Please try again later.",
    ),
)

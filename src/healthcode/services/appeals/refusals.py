"""What a caller is told when an appeal step is not done (S6).

Each is raised as `Refused` after it is audited (`common.refuse`). A handler of another region is
told "not found", never "forbidden": whether an appeal exists elsewhere is itself something it may
not learn.
"""

from __future__ import annotations

from typing import Final

from healthcode.domain.text import Bilingual
from healthcode.services.refusals import Refusal

NOT_FOUND: Final = Refusal(404, "not_found", Bilingual("找不到该申诉。", "Appeal not found."))
FORBIDDEN: Final = Refusal(
    403, "forbidden", Bilingual("您的角色不能办理此事项。", "Your role may not do this.")
)
CLOSED: Final = Refusal(
    409,
    "closed",
    Bilingual("该申诉已办结，不能再处理。", "This appeal is closed and can no longer be handled."),
)
INVALID_FACT: Final = Refusal(
    422,
    "invalid_fact",
    Bilingual(
        "只能补录已发生的事实；改变颜色须通过赋码审批，撤销事实须使用撤销功能。",
        "Only facts that have happened may be added; a colour override needs the approval "
        "procedure, and withdrawing a fact has its own step.",
    ),
)
FACT_NOT_FOUND: Final = Refusal(
    404,
    "fact_not_found",
    Bilingual("此人没有该编号的事实记录。", "This person has no fact with that event id."),
)
REASON_REQUIRED: Final = Refusal(
    422, "reason_required", Bilingual("请填写理由。", "A reason is required.")
)
INVALID_OVERRIDE: Final = Refusal(
    422,
    "invalid_override",
    Bilingual(
        "赋码须注明颜色、作出决定的机关和有效期（不超过规定期限）。",
        "An override needs a colour, the deciding authority and an expiry within the limit.",
    ),
)
OVERRIDE_PENDING: Final = Refusal(
    409,
    "override_pending",
    Bilingual(
        "已有待审批的赋码申请。", "An override for this appeal is already awaiting approval."
    ),
)
NO_OVERRIDE: Final = Refusal(
    404,
    "no_pending_override",
    Bilingual("没有待审批的赋码申请。", "No override is awaiting approval."),
)
SAME_PERSON: Final = Refusal(
    409,
    "same_person",
    Bilingual(
        "赋码须由申请人以外的另一人审批。",
        "An override must be approved by someone other than the person who asked for it.",
    ),
)
OVERRIDE_EXPIRED: Final = Refusal(
    409,
    "override_expired",
    Bilingual("赋码申请的有效期已过。", "The override's expiry has already passed."),
)
SENDER_UNAVAILABLE: Final = Refusal(
    503,
    "sender_unavailable",
    Bilingual(
        "短信通道不可用，答复未发送，请稍后再试。",
        "No text message channel is available; the answer was not sent. Please try again later.",
    ),
)

"""Household refusals: what a resident is told when a link or an application is not made.

Stable codes for apps, bilingual texts for people; none names personal data (D2).
"""

from __future__ import annotations

from typing import Final

from healthcode.domain.text import Bilingual
from healthcode.services.households.applications import ApplicationError
from healthcode.services.refusals import Refusal

# Enough for any household; the cap keeps one phone from collecting strangers' codes.
MAX_FAMILY: Final = 10


def invalid_application(error: ApplicationError) -> Refusal:
    """ApplicationError says `<role> <field>: <problem>`; the problem never repeats the value."""
    head, _, problem = str(error).partition(": ")
    field = head.split(" ")[-1] if problem else None
    zh = _FIELD_ZH.get(field or "", "申请信息有误")
    return Refusal(
        422, "invalid_application", Bilingual(f"{zh}，请检查后重试。", str(error)), field
    )


_FIELD_ZH: Final = {
    "id_number": "证件号码有误",
    "name": "姓名有误",
    "phone": "手机号码有误",
    "nationality": "国籍有误",
}

NOT_LINKED: Final = Refusal(404, "not_found", Bilingual("找不到该资源。", "Not found."))
CANNOT_UNBIND_SELF: Final = Refusal(
    409, "cannot_unbind_self", Bilingual("不能解绑本人。", "You cannot unbind yourself.")
)
CONSENT_REQUIRED: Final = Refusal(
    422,
    "consent_required",
    Bilingual("为家人代办须先取得其同意。", "Applying for a family member needs their consent."),
    "consent",
)
SELF_FIRST: Final = Refusal(
    409,
    "self_first",
    Bilingual("请先为本人申领健康码，再为家人代办。", "Apply for yourself first, then for family."),
)
IS_SELF: Final = Refusal(
    422,
    "is_self",
    Bilingual(
        "这是您本人的证件，请选择“本人申领”。", "This is your own document: apply for yourself."
    ),
    "id_number",
)
TOO_MANY: Final = Refusal(
    409,
    "too_many_family_members",
    Bilingual(
        f"一个账号最多绑定{MAX_FAMILY}位家人。",
        f"An account can hold at most {MAX_FAMILY} family members.",
    ),
)
SELF_BOUND: Final = Refusal(
    409,
    "self_already_bound",
    Bilingual(
        "此账号已绑定本人证件；为他人申领请选择“为家人代办”。",
        "This account already holds your own document; to apply for someone else, "
        "apply for a family member.",
    ),
)
SELF_ELSEWHERE: Final = Refusal(
    409,
    "self_bound_elsewhere",
    Bilingual(
        "该证件已由另一个手机号作为本人绑定；如有疑问请拨打12345。",
        "This document is already held by another phone number as its owner; call 12345 "
        "if this is wrong.",
    ),
    "id_number",
)
# One answer for a wrong, expired or used-up code and for a reference that is not this account's:
# the answer does not say which (D2).
CONFIRMATION_FAILED: Final = Refusal(
    422,
    "confirmation_failed",
    Bilingual(
        "验证码错误或已过期。可重新提交申请获取新验证码，或携带证件到服务点由工作人员核验。",
        "Wrong or expired code. Apply again for a new one, or take the identity document to a "
        "service point to be checked by staff.",
    ),
    "code",
)
# Staff entered a reference and a document that do not belong together (or the reference ended).
NOT_PENDING: Final = Refusal(
    404,
    "not_found",
    Bilingual(
        "找不到与该证件相符的待确认绑定。",
        "No pending binding matches this reference and document.",
    ),
)

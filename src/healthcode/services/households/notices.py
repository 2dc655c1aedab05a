"""What a person is texted about bindings of them (D2, S3): the confirmation code a binding waits
for, and word that someone now shows their code, with how to end it. No text names the person."""

from __future__ import annotations

from healthcode.domain.text import Bilingual


def binding_code_message(code: str) -> Bilingual:
    return Bilingual(
        f"【健康码】有人申请在其账号上绑定并显示您的健康码，验证码 {code}，30 分钟内有效。"
        "如是您本人或您同意的家人，请把验证码告诉对方；否则请忽略，对方将看不到您的任何信息。",
        f"[HealthCode] Someone asked to bind your health code to their account. Code {code}, "
        "valid for 30 minutes. Give it to them only if it is you or family you agree to; otherwise "
        "ignore this: they will see nothing about you.",
    )


def bound_message(account_phone_masked: str | None) -> Bilingual:
    who = account_phone_masked or "另一账号"
    who_en = account_phone_masked or "another account"
    return Bilingual(
        f"【健康码】您的健康码已绑定到手机号 {who} 的账号，对方可查看您的健康码。"
        "如非您同意，请用本人手机号登录健康码，在“谁绑定了我”中解除，或拨打 12345。",
        f"[HealthCode] Your health code is now bound to the account of {who_en}, which can show "
        "it. If you did not agree, sign in with your own phone and end it under 'Who holds my "
        "code', or call 12345.",
    )

"""The one answer (S6 统一反馈): what changed and why, in the person's language, sent once.

The answer goes back through the channel the person used: a text to the callback number for a
12345 call, and for the code page a text to the account's phone plus the answer on the page
itself. It is stored with the appeal, so the operator reads the same record when the person
calls back. Answering again sends nothing: the first answer stands and is returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from healthcode.db.appeals_store import StoredAppeal
from healthcode.domain.appeals import AppealChannel, AppealEventKind, AppealStatus, Language
from healthcode.domain.identity import mask_phone
from healthcode.domain.roles import Role
from healthcode.domain.text import Bilingual
from healthcode.services.appeals.common import (
    colour_of,
    person_target,
    record_event,
    refuse,
    visible_to,
)
from healthcode.services.appeals.refusals import (
    FORBIDDEN,
    NOT_FOUND,
    REASON_REQUIRED,
    SENDER_UNAVAILABLE,
)
from healthcode.services.messages import MessageSender, SenderUnavailableError
from healthcode.services.principals import Principal
from healthcode.services.runtime import UnitOfWork

ANSWERERS: Final = frozenset({Role.LOCAL_HANDLER, Role.HOTLINE_OPERATOR})
ANSWER_LIMIT: Final = 1000
COLOUR_NAMES: Final = {
    "green": Bilingual("绿码", "green"),
    "yellow": Bilingual("黄码", "yellow"),
    "red": Bilingual("红码", "red"),
}


@dataclass(frozen=True, slots=True)
class Answer:
    appeal_id: int
    message: Bilingual
    colour_before: str | None  # the colour shown when the appeal was filed
    colour_after: str | None  # the colour when answered
    sent_to: str | None  # the masked number texted; None: shown on the page only
    already: bool = False  # True: answered before, nothing was sent this time


def answer_appeal(
    uow: UnitOfWork, principal: Principal, appeal_id: int, sender: MessageSender, text: str
) -> Answer:
    """Send the one answer (a local handler of the region, or a 12345 operator)."""
    action = "appeal.answer"
    store = uow.appeals
    found = store.get(appeal_id)
    appeal = None if found is None else store.get(found.primary_id)
    if not principal.roles & ANSWERERS:
        refuse(uow, action, FORBIDDEN, appeal_id)
    if appeal is None or not visible_to(principal, appeal, ANSWERERS):
        refuse(uow, action, NOT_FOUND, appeal_id)
    target = person_target(uow, appeal.person_id)
    stored = store.answer(appeal.id)
    if stored is not None:
        uow.audit(action, target, outcome="already", detail=f"appeal={appeal.id}")
        return _answer(appeal.id, stored, already=True)
    if not 0 < len(text.strip()) <= ANSWER_LIMIT:
        refuse(uow, action, REASON_REQUIRED, appeal.id, target)
    before = (store.snapshot(appeal.id) or {}).get("colour")
    after = colour_of(uow, appeal.person_id)
    repeats = [filing.id for filing in store.merged(appeal.id)]
    message = answer_text(appeal, before, after, text, _rejection(uow, appeal), repeats)
    phone = _phone(uow, appeal)
    try:
        if phone is not None:
            sender.send(uow, phone, message)
    except SenderUnavailableError:
        if appeal.channel is AppealChannel.HOTLINE:  # a text is the only way back to a caller
            refuse(uow, action, SENDER_UNAVAILABLE, appeal.id, target)
        phone = None  # the code page still shows the answer
    return _store(uow, principal, appeal, message, before, after, phone)


def _store(
    uow: UnitOfWork,
    principal: Principal,
    appeal: StoredAppeal,
    message: Bilingual,
    before: str | None,
    after: str | None,
    phone: str | None,
) -> Answer:
    store = uow.appeals
    sent_to = None if phone is None else mask_phone(phone)
    record: dict[str, Any] = {
        **message.as_dict(),
        "language": appeal.language.value,
        "colour_before": before,
        "colour_after": after,
        "sent_to": sent_to,
        "by": principal.label,
    }
    store.set_answer(appeal.id, record, uow.now)
    if appeal.status is AppealStatus.OPEN:
        store.close(appeal.id, AppealStatus.ANSWERED)
    record_event(uow, appeal.id, AppealEventKind.ANSWERED, principal.label, message.zh)
    if sent_to is not None:
        record_event(uow, appeal.id, AppealEventKind.FEEDBACK_SENT, principal.label, sent_to)
    detail = f"appeal={appeal.id} channel={appeal.channel.value} sent={sent_to is not None}"
    uow.audit("appeal.answer", person_target(uow, appeal.person_id), detail=detail)
    return _answer(appeal.id, record)


def answer_text(
    appeal: StoredAppeal,
    before: str | None,
    after: str | None,
    text: str,
    rejection: str | None,
    repeats: Sequence[int] = (),
) -> Bilingual:
    """Chinese first, with English; the handler's own words go in the person's language.

    Every number the person was given is cited: the appeal's and each repeat filing merged into
    it (a caller told the number of their third call finds it in the answer).
    """
    merged = sorted(repeats)
    also_zh = f"，含合并的重复申诉 {'、'.join(map(str, merged))}" if merged else ""
    also_en = f" (with repeat appeals no. {', '.join(map(str, merged))})" if merged else ""
    zh = [f"【健康码】您的申诉（编号 {appeal.id}{also_zh}）已办结。"]
    en = [f"[HealthCode] Your appeal no. {appeal.id}{also_en} has been answered."]
    if rejection is not None:
        zh.append("经核查，申诉未予支持。")
        en.append("After review, the appeal was not upheld.")
    if after is not None and before is not None and before != after:
        zh.append(f"健康码已由{_zh(before)}变为{_zh(after)}。")
        en.append(f"Your code changed from {_en(before)} to {_en(after)}.")
    elif after is not None:
        zh.append(f"健康码为{_zh(after)}。")
        en.append(f"Your code is {_en(after)}.")
    own = " ".join(part for part in (rejection, text.strip()) if part)
    if appeal.language is Language.EN:
        en.append(own)
    else:
        zh.append(f"说明：{own}")
    return Bilingual("".join(zh), " ".join(en))


def _rejection(uow: UnitOfWork, appeal: StoredAppeal) -> str | None:
    if appeal.status is not AppealStatus.REJECTED:
        return None
    events = uow.appeals.events(appeal.id)
    reasons = [event.detail for event in events if event.kind is AppealEventKind.REJECTED]
    return reasons[-1] if reasons else None


def _phone(uow: UnitOfWork, appeal: StoredAppeal) -> str | None:
    """Where the text goes: the number the caller gave, or the phone of the filing account."""
    if appeal.channel is AppealChannel.HOTLINE:
        return uow.appeals.callback_phone(appeal.id)
    if appeal.resident_account_id is None:
        return None
    return uow.residents.phone(appeal.resident_account_id)


def _answer(appeal_id: int, stored: dict[str, Any], *, already: bool = False) -> Answer:
    return Answer(
        appeal_id,
        Bilingual(str(stored["zh"]), str(stored["en"])),
        stored.get("colour_before"),
        stored.get("colour_after"),
        stored.get("sent_to"),
        already,
    )


def _zh(colour: str) -> str:
    return COLOUR_NAMES[colour].zh if colour in COLOUR_NAMES else colour


def _en(colour: str) -> str:
    return COLOUR_NAMES[colour].en if colour in COLOUR_NAMES else colour

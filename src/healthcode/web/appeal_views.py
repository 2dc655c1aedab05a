"""Appeals (S6) as the API answers them: one shape for the hotline, handlers and residents.

Only masked document numbers, names and phones leave here; the words a person said and the
answer go to those who handle the appeal, whose reads the use cases audit. Refusals are raised
by the use cases and answered by `web/errors.py`, after their unit of work has committed them.
"""

from __future__ import annotations

from typing import Any, Final

from healthcode.db.appeal_events_store import AppealEvent, Override
from healthcode.db.appeals_store import StoredAppeal
from healthcode.db.people import StoredPerson
from healthcode.domain.appeals import AppealCategory, AppealStatus
from healthcode.domain.text import Bilingual
from healthcode.domain.timezones import display_instant
from healthcode.services.appeals.answers import Answer
from healthcode.services.appeals.filing import FiledAppeal
from healthcode.services.appeals.handling import Correction
from healthcode.services.appeals.oversight import AppealStats, StatsRow
from healthcode.services.appeals.reading import AppealView, QueueItem, ResidentAppeal
from healthcode.web.pages.console_appeals_views import event_detail

CATEGORY_NAMES: Final = {
    AppealCategory.WRONG_COLOUR: Bilingual("健康码颜色不对", "The colour is wrong"),
    AppealCategory.MISSING_TEST_RESULT: Bilingual("核酸结果未更新", "A test result is missing"),
    AppealCategory.WRONG_TRIP: Bilingual("行程记录有误", "A trip on record is wrong"),
    AppealCategory.CANNOT_APPLY: Bilingual("无法申领健康码", "I cannot apply for a code"),
    AppealCategory.PROXY_PROBLEM: Bilingual(
        "代办家人健康码有问题", "A problem applying for family"
    ),
    AppealCategory.MISUSE: Bilingual("健康码被滥用造成损害", "The code was misused and harmed me"),
    AppealCategory.OTHER: Bilingual("其他", "Something else"),
}
STATUS_NAMES: Final = {
    AppealStatus.OPEN: Bilingual("办理中", "Being handled"),
    AppealStatus.ANSWERED: Bilingual("已答复", "Answered"),
    AppealStatus.REJECTED: Bilingual("未予支持", "Not upheld"),
}


def filed_json(filed: FiledAppeal) -> dict[str, Any]:
    return {
        "appeal": filed.appeal_id,
        "primary": filed.primary_id,
        "merged": filed.merged,
        "region": filed.route.region,
        "tier": filed.route.tier.value,
        "due_at": display_instant(filed.due_at),
    }


def appeal_json(appeal: StoredAppeal) -> dict[str, Any]:
    return {
        "appeal": appeal.id,
        "primary": appeal.primary_id,
        "merged_into": appeal.merged_into,
        "category": appeal.category.value,
        "channel": appeal.channel.value,
        "status": appeal.status.value,
        "region": appeal.route.region,
        "tier": appeal.route.tier.value,
        "origin_region": appeal.origin_region,
        "language": appeal.language.value,
        "opened_at": display_instant(appeal.opened_at),
        "due_at": display_instant(appeal.due_at),
        "answered_at": display_instant(appeal.answered_at),
        "callback_phone": appeal.callback_phone_masked,
    }


def person_json(person: StoredPerson) -> dict[str, Any]:
    return {
        "id_type": person.id_type.value,
        "id_number": person.id_number_masked,
        "name": person.name_masked,
        "home_region": person.home_region,
    }


def queue_item_json(item: QueueItem) -> dict[str, Any]:
    return appeal_json(item.appeal) | {"person": person_json(item.person), "overdue": item.overdue}


def view_json(view: AppealView) -> dict[str, Any]:
    """One appeal opened: its words, the decision appealed, the timeline and the one answer.
    The callback number stays masked: the answer is sent by the system, not dialled by hand."""
    return appeal_json(view.appeal) | {
        "person": person_json(view.person),
        "text": view.text,
        "snapshot": view.snapshot,
        "answer": view.answer,
        "events": [event_json(event) for event in view.events],
        "overrides": [override_json(override) for override in view.overrides],
        "merged": [appeal_json(filing) for filing in view.merged],
        "overdue": view.overdue,
    }


def event_json(event: AppealEvent) -> dict[str, Any]:
    """One step of the timeline; `detail_name` is its note as the appeal page shows it, with
    names for the codes the note stores (the hotline's look-up draws it in the browser)."""
    return {
        "at": display_instant(event.at),
        "kind": event.kind.value,
        "actor": event.actor,
        "detail": event.detail,
        "detail_name": event_detail(event.kind, event.detail or "").as_dict(),
    }


def override_json(override: Override) -> dict[str, Any]:
    return {
        "id": override.id,
        "appeal": override.appeal_id,
        "colour": override.colour,
        "authority": override.authority,
        "expires_at": display_instant(override.expires_at),
        "requested_by": override.requested_by,
        "requested_at": display_instant(override.requested_at),
        "approved_by": override.approved_by,
        "approved_at": display_instant(override.approved_at),
    }


def correction_json(correction: Correction) -> dict[str, Any]:
    return {
        "appeal": correction.appeal_id,
        "event_id": correction.event_id,
        "colour_before": correction.colour_before,
        "colour_after": correction.colour_after,
    }


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "appeal": answer.appeal_id,
        "answer": answer.message.as_dict(),
        "colour_before": answer.colour_before,
        "colour_after": answer.colour_after,
        "sent": answer.sent_to is not None,
        "sent_to": answer.sent_to,
        "already": answer.already,
    }


def stats_json(stats: AppealStats) -> dict[str, Any]:
    return {
        "scope": stats.scope,
        "since": display_instant(stats.since),
        "as_of": display_instant(stats.as_of),
        "rows": [stats_row_json(row) for row in stats.rows],
        "misuse": [stats_row_json(row) for row in stats.misuse],
    }


def stats_row_json(row: StatsRow) -> dict[str, Any]:
    return {
        "region": row.region,
        "category": row.category.value,
        "filed": row.filed,
        "merged": row.merged,
        "open": row.open,
        "answered": row.answered,
        "rejected": row.rejected,
        "overdue": row.overdue,
        "escalations": row.escalations,
        "median_hours_to_answer": row.median_hours_to_answer,
    }


def resident_appeal_json(appeal: ResidentAppeal) -> dict[str, Any]:
    return {
        "appeal": appeal.appeal_id,
        "category": appeal.category.value,
        "channel": appeal.channel.value,
        "status": appeal.status.value,
        "opened_at": display_instant(appeal.opened_at),
        "answered_at": display_instant(appeal.answered_at),
        "answer": None if appeal.answer is None else appeal.answer.as_dict(),
        "repeats": list(appeal.repeats),
    }

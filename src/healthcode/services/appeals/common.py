"""What every appeal use case shares: the store, the time limits, the access check, the audit.

Who may do what with an appeal (S6, D2):
- a 12345 operator files appeals from calls, reads every appeal (a person calls back about any
  region) and may send the answer;
- a local handler reads and handles the appeals whose current unit lies inside their region
  (属地): a county handler their county's, a city handler the city's and its counties';
- an override is approved by a second person (never the one who asked) who is either a local
  handler whose region covers the appeal's unit (the same or a higher level) or a rule approver
  (the commission's staff who approve colour rules anyway);
- a resident files from the code page for a person linked to their account, and reads the
  answers of that person's appeals.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Final, NoReturn

from healthcode.db.appeal_events_store import AppealEvent
from healthcode.db.appeals_store import StoredAppeal
from healthcode.domain.appeals import AppealEventKind, AppealStatus, TimeLimits
from healthcode.domain.roles import Role
from healthcode.rulesets import default_appeal_limits, load_appeal_limits
from healthcode.services import audit_targets
from healthcode.services.appeals.refusals import CLOSED, FORBIDDEN, NOT_FOUND
from healthcode.services.principals import Principal
from healthcode.services.refusals import Refusal, Refused
from healthcode.services.runtime import UnitOfWork

HANDLERS: Final = frozenset({Role.LOCAL_HANDLER})
READERS: Final = frozenset({Role.LOCAL_HANDLER, Role.HOTLINE_OPERATOR, Role.RULE_APPROVER})
# Roles that read every region: the hotline answers callbacks from anywhere, and rule approvers
# approve overrides province-wide. A local handler is always scoped by their region.
EVERY_REGION: Final = frozenset({Role.HOTLINE_OPERATOR, Role.RULE_APPROVER})


def time_limits(uow: UnitOfWork) -> TimeLimits:
    return _limits(uow.runtime.settings.appeal_limits)


@cache
def _limits(path: Path | None) -> TimeLimits:
    return default_appeal_limits() if path is None else load_appeal_limits(path)


def person_target(uow: UnitOfWork, person_id: str) -> str:
    """How the audit log names the person an appeal is about: the pseudonym every use case uses."""
    key = uow.people.key_of(person_id)
    if key is None:  # the foreign key keeps the person; only a broken database gets here
        raise LookupError("an appeal's person is missing")
    return audit_targets.person_target(uow, key)


def colour_of(uow: UnitOfWork, person_id: str) -> str | None:
    state = uow.states.get_many([person_id]).get(person_id)
    return None if state is None else state.colour


def snapshot_of(uow: UnitOfWork, person_id: str) -> dict[str, Any] | None:
    """The decision the person is shown now: colour, rules fired and the facts it was made from."""
    state = uow.states.get_many([person_id]).get(person_id)
    if state is None:
        return None
    facts = uow.facts.of_persons([person_id]).get(person_id, [])
    used = [
        {
            "source": fact.source.value,
            "event_id": fact.event_id,
            "type": fact.type,
            "occurred_at": fact.occurred_at.isoformat(),
        }
        for fact in facts
        if fact.occurred_at <= state.evaluated_at
    ]
    return {
        "colour": state.colour,
        "rules": list(state.decision.get("rules") or ()),
        "clauses": list(state.decision.get("clauses") or ()),
        "measure": state.decision.get("measure"),
        "ruleset": state.ruleset,
        "evaluated_at": state.evaluated_at.isoformat(),
        "facts": used,
    }


def record_event(
    uow: UnitOfWork, appeal_id: int, kind: AppealEventKind, actor: str, detail: str | None = None
) -> None:
    uow.appeals.add_event(AppealEvent(appeal_id, uow.now, kind, actor, detail))


def refuse(
    uow: UnitOfWork, action: str, refusal: Refusal, appeal_id: int, target: str | None = None
) -> NoReturn:
    """Audit a refusal (the appeal's number is no personal data) and raise it."""
    outcome = "not_found" if refusal.status == 404 else "refused"
    uow.audit(action, target, outcome=outcome, detail=f"appeal={appeal_id} refusal={refusal.code}")
    raise Refused(refusal)


def visible_to(principal: Principal, appeal: StoredAppeal, roles: frozenset[Role]) -> bool:
    """Whether the caller may see this appeal in one of `roles` (the object-level check)."""
    held = principal.roles & roles
    if held & EVERY_REGION:
        return True
    return bool(held) and principal.answers_for(appeal.route.region)


def handled_by(
    uow: UnitOfWork,
    principal: Principal,
    appeal_id: int,
    action: str,
    roles: frozenset[Role] = HANDLERS,
) -> StoredAppeal:
    """The primary appeal behind `appeal_id` if the caller may act on it and it is still open."""
    store = uow.appeals
    found = store.get(appeal_id)
    appeal = None if found is None else store.get(found.primary_id)
    if not principal.roles & roles:
        refuse(uow, action, FORBIDDEN, appeal_id)
    if appeal is None or not visible_to(principal, appeal, roles):
        refuse(uow, action, NOT_FOUND, appeal_id)
    if appeal.status is not AppealStatus.OPEN or appeal.answered_at is not None:
        refuse(uow, action, CLOSED, appeal.id, person_target(uow, appeal.person_id))
    return appeal

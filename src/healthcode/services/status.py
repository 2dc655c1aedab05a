"""Looking up a person's stored code (reads of personal data are audited with their purpose)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from healthcode.db.people import StoredPerson
from healthcode.db.states import StoredState
from healthcode.domain.facts import PersonKey
from healthcode.presenters import DECISION_FIELDS
from healthcode.services.audit_targets import person_target
from healthcode.services.runtime import UnitOfWork


@dataclass(frozen=True, slots=True)
class CodeStatus:
    person: StoredPerson
    state: StoredState | None

    def as_json(self, key: PersonKey) -> dict[str, Any]:
        """The `assess` shape (SPEC §2) for the stored state."""
        if self.state is None:
            return {"person": _person(key), "color": None}
        return {"person": _person(key)} | {
            name: self.state.decision.get(name) for name in DECISION_FIELDS
        }


def code_status(uow: UnitOfWork, key: PersonKey) -> CodeStatus | None:
    person = uow.people.find(key)
    target = person_target(uow, key)
    uow.audit("code.read", target, outcome="ok" if person else "not_found")
    if person is None:
        return None
    return CodeStatus(person, uow.states.get_many([person.id]).get(person.id))


def _person(key: PersonKey) -> dict[str, str]:
    return {"id_type": key.id_type.value, "id_number": key.id_number}

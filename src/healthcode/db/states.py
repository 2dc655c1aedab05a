"""Code states: each person's current decision, and the history of every change with its cause."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from healthcode.db.schema import code_history, code_states
from healthcode.db.writes import chunks
from healthcode.security.vault import Vault


@dataclass(frozen=True, slots=True)
class StoredState:
    decision: dict[str, Any]  # the SPEC §2 decision fields: color, rules, clauses, measure, …
    since: datetime
    ruleset: str
    evaluated_at: datetime
    next_review_at: datetime | None

    @property
    def colour(self) -> str:
        return str(self.decision["color"])


class StateStore:
    def __init__(self, connection: Connection, vault: Vault) -> None:
        self._connection = connection
        self._vault = vault

    def get_many(self, person_ids: Iterable[str]) -> dict[str, StoredState]:
        states: dict[str, StoredState] = {}
        for batch in chunks(list(person_ids)):
            rows = self._connection.execute(
                select(code_states).where(code_states.c.person_id.in_(batch))
            )
            for row in rows:
                decision = self._vault.open_json(row.decision_sealed, _context(row.person_id))
                states[row.person_id] = StoredState(
                    decision,  # type: ignore[arg-type]
                    row.since,
                    row.ruleset,
                    row.evaluated_at,
                    row.next_review_at,
                )
        return states

    def save(self, person_id: str, state: StoredState, *, existed: bool) -> None:
        values = {
            "decision_sealed": self._vault.seal_json(state.decision, _context(person_id)),
            "since": state.since,
            "ruleset": state.ruleset,
            "evaluated_at": state.evaluated_at,
            "next_review_at": state.next_review_at,
        }
        if existed:
            self._connection.execute(
                update(code_states).where(code_states.c.person_id == person_id).values(values)
            )
        else:
            self._connection.execute(insert(code_states).values(person_id=person_id, **values))

    def record_change(
        self, person_id: str, state: StoredState, cause: str, cause_ref: str | None
    ) -> None:
        self._connection.execute(
            insert(code_history).values(
                person_id=person_id,
                changed_at=state.evaluated_at,
                cause=cause,
                cause_ref=cause_ref,
                decision_sealed=self._vault.seal_json(state.decision, _history_context(person_id)),
                ruleset=state.ruleset,
            )
        )

    def history(self, person_id: str) -> list[tuple[datetime, str, str | None, dict[str, Any]]]:
        rows = self._connection.execute(
            select(code_history)
            .where(code_history.c.person_id == person_id)
            .order_by(code_history.c.id)
        )
        return [
            (
                row.changed_at,
                row.cause,
                row.cause_ref,
                self._vault.open_json(row.decision_sealed, _history_context(person_id)),  # type: ignore[misc]
            )
            for row in rows
        ]

    def due(self, now: datetime, limit: int) -> list[str]:
        """Persons whose next review has come, earliest first."""
        rows = self._connection.execute(
            select(code_states.c.person_id)
            .where(code_states.c.next_review_at <= now)
            .order_by(code_states.c.next_review_at)
            .limit(limit)
        )
        return [row.person_id for row in rows]

    # Plain loops until H1's batched writes (issue #12, CONTRACTS.md) replace them.
    def save_many(self, saves: Sequence[StateSave]) -> None:
        for item in saves:
            self.save(item.person_id, item.state, existed=item.existed)

    def record_changes(self, changes: Sequence[StateChange]) -> None:
        for item in changes:
            self.record_change(item.person_id, item.state, item.cause, item.cause_ref)


def _context(person_id: str) -> str:
    return f"code_state:{person_id}"


def _history_context(person_id: str) -> str:
    return f"code_history:{person_id}"


# The arguments of StateStore.save_many and record_changes (CONTRACTS.md, issue #12).
@dataclass(frozen=True, slots=True)
class StateSave:
    person_id: str
    state: StoredState
    existed: bool  # a code_states row exists already (UPDATE), else INSERT


@dataclass(frozen=True, slots=True)
class StateChange:
    person_id: str
    state: StoredState
    cause: str
    cause_ref: str | None

"""Code states: each person's current decision, and the history of every change with its cause."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import BigInteger, Connection, Row, bindparam, select, text, update

from healthcode.db.arrays import key_array
from healthcode.db.lookups import any_of
from healthcode.db.schema import code_history, code_states
from healthcode.db.writes import chunks, insert_rows, update_rows
from healthcode.security.vault import Sealer, Vault

CODE_DIGEST: Final = "code-state"


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


@dataclass(frozen=True, slots=True)
class StateSave:
    person_id: str
    state: StoredState
    existed: bool  # a code_states row exists already (UPDATE), else INSERT


@dataclass(frozen=True, slots=True)
class StateSummary:
    """What a re-evaluation compares without opening a stored code."""

    code_digest: bytes | None  # null for a code written before digests were kept
    since: datetime
    next_review_at: datetime | None


@dataclass(frozen=True, slots=True)
class StateChange:
    person_id: str
    state: StoredState
    cause: str
    cause_ref: str | None


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
            states.update({row.person_id: opened_state(self._vault, row) for row in rows})
        return states

    def code_digest(self, person_id: str, decision: Mapping[str, Any]) -> bytes:
        """Keyed over the person and the decision fields: equal for the same code of the same
        person, and unlike for two persons' equal codes, so a digest tells nothing about anyone's
        colour and no two rows can be seen to hold the same one."""
        return self.code_digests([person_id], [canonical_fields(decision)])[0]

    def code_digests(self, person_ids: Sequence[str], canonical: Sequence[str]) -> list[bytes]:
        """`code_digest` of each person's decision given in its canonical form
        (`canonical_fields`, which the columnar path makes once per distinct outcome)."""
        messages = (f"{pid}\n{text}" for pid, text in zip(person_ids, canonical, strict=True))
        return self._vault.blind_indexes(CODE_DIGEST, messages)

    def touch_unchanged(
        self,
        person_ids: Sequence[str],
        digests: Sequence[bytes],
        reviews: Sequence[datetime | None],
        ruleset: str,
        evaluated_at: datetime,
    ) -> dict[str, bool]:
        """Record the codes whose stored digest equals the new one as decided again, unchanged,
        under `ruleset` at `evaluated_at` with their next review (`reviews`), nothing opened or
        sealed; return the others, each with whether it has a stored row (digest differs, or
        none was kept) or not (no code yet), in the order given.

        PostgreSQL: one statement, the page's digests as arrays joined to `code_states`, that
        updates the unchanged rows and returns the others (ADR 0025). SQLite: the digests read
        and compared here, then one UPDATE for the unchanged codes and one for moved reviews.
        """
        if not person_ids:
            return {}
        if self._connection.dialect.name == "postgresql":
            rows = self._connection.execute(
                _TOUCH_UNCHANGED.bindparams(
                    key_array(
                        self._connection, "person_ids", person_ids, code_states.c.person_id.type
                    ),
                    key_array(self._connection, "digests", digests, code_states.c.code_digest.type),
                    key_array(
                        self._connection, "reviews", [_micros(r) for r in reviews], BigInteger()
                    ),
                    bindparam("ruleset", ruleset, type_=code_states.c.ruleset.type),
                    bindparam("evaluated_at", evaluated_at, type_=code_states.c.evaluated_at.type),
                )
            ).all()
            found: dict[str, bool] = dict(rows)
            return {pid: bool(found[pid]) for pid in person_ids if pid in found}
        stored = self.summaries(person_ids)
        others: dict[str, bool] = {}
        unchanged: list[str] = []
        moved: list[tuple[str, datetime | None]] = []
        for person_id, digest, review in zip(person_ids, digests, reviews, strict=True):
            summary = stored.get(person_id)
            if summary is None or summary.code_digest != digest:
                others[person_id] = summary is not None
            elif summary.next_review_at == review:
                unchanged.append(person_id)
            else:
                moved.append((person_id, review))
        if moved:
            self.set_reviews(moved, ruleset, evaluated_at)
        if unchanged:
            self.touch(unchanged, ruleset, evaluated_at)
        return others

    def summaries(self, person_ids: Sequence[str]) -> dict[str, StateSummary]:
        """The stored codes' digests and instants, none of them opened."""
        c = code_states.c
        found: dict[str, StateSummary] = {}
        for condition in any_of(self._connection, c.person_id, list(person_ids)):
            rows = self._connection.execute(
                select(c.person_id, c.code_digest, c.since, c.next_review_at).where(condition)
            ).all()
            for person_id, digest, since, review in rows:
                found[person_id] = StateSummary(digest, since, review)
        return found

    def touch(self, person_ids: Sequence[str], ruleset: str, evaluated_at: datetime) -> None:
        """Record that these codes were decided again, unchanged, under `ruleset` at
        `evaluated_at`: one set-based UPDATE, nothing sealed."""
        c = code_states.c
        for condition in any_of(self._connection, c.person_id, list(person_ids)):
            self._connection.execute(
                update(code_states)
                .where(condition)
                .values(ruleset=ruleset, evaluated_at=evaluated_at)
            )

    def set_reviews(
        self, reviews: Sequence[tuple[str, datetime | None]], ruleset: str, evaluated_at: datetime
    ) -> None:
        """Unchanged codes whose next review moved: that instant, and what `touch` records."""
        rows = [
            {
                "person_id": person_id,
                "next_review_at": review,
                "ruleset": ruleset,
                "evaluated_at": evaluated_at,
            }
            for person_id, review in reviews
        ]
        update_rows(self._connection, code_states, "person_id", rows)

    def save_many(self, saves: Sequence[StateSave]) -> None:
        """Write the current states: one UPDATE executemany for the rows that exist, one COPY
        (PostgreSQL) or INSERT executemany for the new ones; decisions sealed in one batch.

        A person appears at most once in `saves`.
        """
        sealer = self._vault.sealer()
        updates: list[dict[str, object]] = []
        inserts: list[dict[str, object]] = []
        for save in saves:
            row = _state_row(sealer, save)
            row["code_digest"] = self.code_digest(save.person_id, save.state.decision)
            (updates if save.existed else inserts).append(row)
        update_rows(self._connection, code_states, "person_id", updates)
        insert_rows(self._connection, code_states, inserts)

    def record_changes(self, changes: Sequence[StateChange]) -> None:
        """Append to the history with one write, in the order given (ids follow it)."""
        sealer = self._vault.sealer()
        rows = [
            {
                "person_id": change.person_id,
                "changed_at": change.state.evaluated_at,
                "cause": change.cause,
                "cause_ref": change.cause_ref,
                "decision_sealed": sealer.seal_json(
                    change.state.decision, _history_context(change.person_id)
                ),
                "ruleset": change.state.ruleset,
            }
            for change in changes
        ]
        insert_rows(self._connection, code_history, rows)

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


def opened_state(vault: Vault, row: Row[*tuple[Any, ...]]) -> StoredState:
    """A `code_states` row (its columns by their names) with its decision opened."""
    decision = vault.open_json(row.decision_sealed, _context(row.person_id))
    return StoredState(
        decision,  # type: ignore[arg-type]
        row.since,
        row.ruleset,
        row.evaluated_at,
        row.next_review_at,
    )


def canonical_fields(decision: Mapping[str, Any]) -> str:
    """The decision fields as one string, what a code's digest is taken over: the fields are
    strings, lists of strings and None (presenters.decision_fields), whose repr is canonical;
    json.dumps cost ten times as much a code."""
    return repr(sorted(decision.items()))


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)


def _micros(instant: datetime | None) -> int | None:
    # Sent as integers: the key arrays (db/arrays.py) carry bytes, text and integers as they are.
    return None if instant is None else (instant - _EPOCH) // _MICROSECOND


# The page's new digests and next reviews joined to the stored codes. The data-modifying WITH
# runs once, to completion, whether or not the SELECT reads it; the SELECT sees the rows as they
# were before it, so it returns exactly the codes it did not touch.
_TOUCH_UNCHANGED = text(
    "WITH page AS ("
    " SELECT * FROM unnest(CAST(:person_ids AS varchar[]), CAST(:digests AS bytea[]),"
    " CAST(:reviews AS bigint[])) AS p (person_id, digest, review)"
    "), touched AS ("
    " UPDATE code_states AS s SET ruleset = :ruleset, evaluated_at = :evaluated_at,"
    " next_review_at = timestamptz 'epoch' + p.review * interval '1 microsecond'"
    " FROM page AS p WHERE s.person_id = p.person_id AND s.code_digest = p.digest"
    ")"
    " SELECT p.person_id, s.person_id IS NOT NULL AS existed"
    " FROM page AS p LEFT JOIN code_states AS s ON s.person_id = p.person_id"
    " WHERE s.code_digest IS DISTINCT FROM p.digest"
)


def _state_row(sealer: Sealer, save: StateSave) -> dict[str, object]:
    state = save.state
    return {
        "person_id": save.person_id,
        "decision_sealed": sealer.seal_json(state.decision, _context(save.person_id)),
        "since": state.since,
        "ruleset": state.ruleset,
        "evaluated_at": state.evaluated_at,
        "next_review_at": state.next_review_at,
    }


def _context(person_id: str) -> str:
    return f"code_state:{person_id}"


def _history_context(person_id: str) -> str:
    return f"code_history:{person_id}"

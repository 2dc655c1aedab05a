"""Keeping codes current: re-evaluate persons when facts, areas, rules or time change (A5).

The stored state changes only through here. A state records when its colour last changed and
the next instant it must be looked at again, whichever comes first of: the rules' own next change
(`next_review_at` of the decision), a fact already on file that takes effect later, and the start
or end of an area rating that can reach the person's stays.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from healthcode.db.states import StateChange, StateSave, StoredState
from healthcode.db.tallies_store import Move
from healthcode.domain.rules import Ruleset, parse_ruleset
from healthcode.domain.timezones import CHINA_TIME
from healthcode.presenters import decision_fields
from healthcode.rulesets import default_ruleset
from healthcode.services.codes.colours import publish_states
from healthcode.services.deciding import COLUMNAR_FROM, decide_stored
from healthcode.services.runtime import UnitOfWork


@dataclass(slots=True)
class Reevaluation:
    """What a re-evaluation did: how many persons it looked at and how colours moved."""

    evaluated: int = 0
    changed: int = 0
    transitions: dict[tuple[str | None, str], int] = field(default_factory=dict)


def reevaluate(
    uow: UnitOfWork,
    causes: Mapping[str, str | None],
    cause: str,
    ruleset: Ruleset | None = None,
    *,
    columnar_from: int = COLUMNAR_FROM,
    refresh_snapshots: bool = False,
) -> Reevaluation:
    """Decide again for each person in `causes` (person id → what touched them) at `uow.now`.

    Columnar from `columnar_from` persons on (services/deciding.py); the stored result is the
    same either way. `refresh_snapshots` (population jobs) keeps the shards' fact snapshots
    current on the way (db/fact_snapshots.py).

    Only what changed is written (ADR 0013): a stored code whose keyed digest equals the new
    decision's is not opened nor sealed again; its row records the ruleset and the instant of
    this evaluation and its next review, all such codes of the page in one statement that
    compares the digests in the database and returns the others (ADR 0025; the shared colours
    stay as they are, no colour moved). The others are opened, compared and written as before,
    states and history once per call, in the persons' order.
    """
    rules = ruleset or active_ruleset(uow)
    person_ids = list(causes)
    page = decide_stored(
        uow, person_ids, rules, columnar_from=columnar_from, refresh_snapshots=refresh_snapshots
    )
    digests = uow.states.code_digests(person_ids, page.canonical)
    others = uow.states.touch_unchanged(person_ids, digests, page.reviews, rules.label, uow.now)
    opened = uow.states.get_many(pid for pid, existed in others.items() if existed)
    report = Reevaluation(evaluated=len(person_ids))
    moves: Counter[Move] = Counter()
    saves: list[StateSave] = []
    changes: list[StateChange] = []
    position = {pid: index for index, pid in enumerate(person_ids)} if others else {}
    for person_id, existed in others.items():  # in the persons' order
        item = page.decided(position[person_id])
        fields = decision_fields(item.decision)
        previous = opened.get(person_id)
        state = StoredState(
            decision=fields,
            since=_since(previous, fields["color"], uow.now),
            ruleset=rules.label,
            evaluated_at=uow.now,
            next_review_at=item.next_review_at,
        )
        saves.append(StateSave(person_id, state, existed=existed))
        if previous is None or _code(previous.decision) != _code(fields):
            changes.append(StateChange(person_id, state, cause, causes[person_id]))
            report.changed += 1
            move = (None if previous is None else previous.colour, fields["color"])
            report.transitions[move] = report.transitions.get(move, 0) + 1
            if move[0] != move[1]:
                moves[(person_id, move[0] or "", move[1])] += 1
    if saves:
        uow.states.save_many(saves)
        publish_states(uow, saves)  # the shared colours checkpoints read (ADR 0019)
    if changes:
        uow.states.record_changes(changes)
    _tally(uow, moves)
    return report


def _tally(uow: UnitOfWork, moves: Counter[Move]) -> None:
    """Count colour moves by county for the dashboards (person ids replaced by their county)."""
    if not moves:
        return
    regions = uow.people.home_regions(person_id for person_id, _, _ in moves)
    by_region: Counter[Move] = Counter()
    for (person_id, before, after), count in moves.items():
        by_region[(regions.get(person_id) or "", before, after)] += count
    uow.tallies.record(uow.now.astimezone(CHINA_TIME).date().isoformat(), by_region)


def active_ruleset(uow: UnitOfWork) -> Ruleset:
    """The approved ruleset in force now; the bundled default until one is approved."""
    stored = uow.rulesets.in_force(uow.now)
    return default_ruleset() if stored is None else parse_ruleset(stored.document)


def _code(fields: Mapping[str, object]) -> dict[str, object]:
    """What the person's code is, without when it will next be looked at."""
    return {key: value for key, value in fields.items() if key != "next_review_at"}


def _since(previous: StoredState | None, colour: str, now: datetime) -> datetime:
    return previous.since if previous is not None and previous.colour == colour else now

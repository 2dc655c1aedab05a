"""Holders' current colours and codes' pseudonyms in the shared state, in front of the database.

A checkpoint's verification needs two things the database holds: whom a code's pseudonym belongs
to (`code_subjects`) and that person's colour now (`code_states`). Both are kept in the shared
state (Redis across processes, ADR 0019), sealed with the vault so a copy of Redis reads nothing.

The only writer of code states (services/evaluation.py) calls `publish_states` in its unit of work:
before the commit each person gets an "in flight" marker, after it the new colour replaces the
old. A reader that sees the marker, finds nothing, or cannot open what it finds asks the database;
a shared state that cannot be reached sends every read to the database; a database that cannot be
reached then fails the request (503): a colour is never guessed (fail closed). A writer that cannot
set the marker rolls its unit of work back, so no committed colour hides behind a stale entry.

Colours are cached only in Redis: in one process's memory a colour saved by another process (a
command-line import beside `make run`) would go unseen, so without Redis the database answers.
Pseudonyms never change once issued, so they are kept in either.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Final

from healthcode.db.code_subjects_store import CodeSubject
from healthcode.db.shared_state import SharedStateDownError
from healthcode.db.states import StateSave
from healthcode.domain.rules import Colour
from healthcode.security.vault import SealedDataError
from healthcode.services.cache_counts import Lookup
from healthcode.services.runtime import UnitOfWork

# The caches' names in the lookup counts of `/metrics` (services/cache_counts.py).
COLOUR_CACHE: Final = "colour"
SUBJECT_CACHE: Final = "code_subject"
# A colour is kept this long after it was written; a verification after that reads the database.
COLOUR_SECONDS: Final = 15 * 60
# Long enough to outlast any unit of work that saves states; a crash between marker and commit
# costs the person's verifications a database read for this long, nothing else.
IN_FLIGHT_SECONDS: Final = 120
# What a reader puts back after a database read: short, it may race a writer's commit (ADR 0019).
REFILL_SECONDS: Final = 10


@dataclass(frozen=True, slots=True)
class CurrentColour:
    colour: Colour
    flags: tuple[str, ...]


def publish_states(uow: UnitOfWork, saves: Sequence[StateSave]) -> None:
    """Mark the persons' colours in flight now, and write the new ones once `uow` commits."""
    shared = uow.runtime.shared
    if not saves or not shared.shared_across_processes:
        return
    ids = [save.person_id for save in saves]
    # Raises SharedStateDownError: the caller's unit of work rolls back rather than commit a colour
    # the shared state would keep contradicting.
    shared.put_many({_in_flight(person_id): b"1" for person_id in ids}, IN_FLIGHT_SECONDS)
    sealed = {
        _colour(save.person_id): _seal_colour(
            uow, save.person_id, _of_decision(save.state.decision)
        )
        for save in saves
    }

    def written() -> None:
        try:
            shared.put_many(sealed, COLOUR_SECONDS)
            shared.delete(*(_in_flight(person_id) for person_id in ids))
        except SharedStateDownError:
            pass  # the markers stay until they expire: until then readers ask the database

    uow.after_commit(written)


def current_colour(uow: UnitOfWork, person_id: str) -> CurrentColour | None:
    """The person's colour now: the shared state's if it is settled, else the database's."""
    shared = uow.runtime.shared
    if not shared.shared_across_processes:
        return _stored_colour(uow, person_id)  # not a cache lookup: colours are not held here
    counts = uow.runtime.cache_counts
    try:
        cached, in_flight = shared.get_many([_colour(person_id), _in_flight(person_id)])
    except SharedStateDownError:
        counts.count(COLOUR_CACHE, Lookup.FALLBACK)
        return _stored_colour(uow, person_id)
    if cached is not None and in_flight is None:
        opened = _open_colour(uow, person_id, cached)
        if opened is not None:
            counts.count(COLOUR_CACHE, Lookup.HIT)
            return opened
    fell_back = in_flight is not None or cached is not None
    counts.count(COLOUR_CACHE, Lookup.FALLBACK if fell_back else Lookup.MISS)
    stored = _stored_colour(uow, person_id)
    if stored is not None and in_flight is None:
        # Only where no colour is held: a writer that committed after this read has put the new
        # colour, and this older one must not replace it.
        with suppress(SharedStateDownError):
            sealed = _seal_colour(uow, person_id, stored)
            shared.put_if_absent(_colour(person_id), sealed, REFILL_SECONDS)
    return stored


def remember_subject(uow: UnitOfWork, code: CodeSubject) -> None:
    """The pseudonym of a code just issued, until the code expires."""
    seconds = (code.expires_at - uow.now).total_seconds()
    sealed = uow.runtime.vault.seal(code.person_id.encode(), _subject_context(code.subject))
    # Unreachable: the database has it, and verification reads it from there.
    with suppress(SharedStateDownError):
        uow.runtime.shared.put(_subject(code.subject), sealed, seconds)


def holder_of(uow: UnitOfWork, subject: str) -> str | None:
    """Whose code carries `subject`: the shared state's answer, else the database's."""
    shared = uow.runtime.shared
    counts = uow.runtime.cache_counts
    try:
        (cached,) = shared.get_many([_subject(subject)])
    except SharedStateDownError:
        cached = None
        outcome = Lookup.FALLBACK
    else:
        outcome = Lookup.MISS
    if cached is not None:
        try:
            opened = uow.runtime.vault.open(cached, _subject_context(subject)).decode()
        except (SealedDataError, UnicodeDecodeError):
            outcome = Lookup.FALLBACK  # not what this installation sealed: the database decides
        else:
            counts.count(SUBJECT_CACHE, Lookup.HIT)
            return opened
    counts.count(SUBJECT_CACHE, outcome)
    code = uow.code_subjects.find(subject)
    return None if code is None else code.person_id


def _stored_colour(uow: UnitOfWork, person_id: str) -> CurrentColour | None:
    state = uow.states.get_many([person_id]).get(person_id)
    return None if state is None else _of_decision(state.decision)


def _of_decision(decision: dict[str, object]) -> CurrentColour:
    flags = decision.get("flags") or ()
    if not isinstance(flags, list | tuple):
        flags = ()
    return CurrentColour(Colour(str(decision["color"])), tuple(str(flag) for flag in flags))


def _seal_colour(uow: UnitOfWork, person_id: str, colour: CurrentColour) -> bytes:
    text = json.dumps([colour.colour.value, list(colour.flags)])
    return uow.runtime.vault.seal(text.encode(), _colour_context(person_id))


def _open_colour(uow: UnitOfWork, person_id: str, sealed: bytes) -> CurrentColour | None:
    try:
        colour, flags = json.loads(uow.runtime.vault.open(sealed, _colour_context(person_id)))
        return CurrentColour(Colour(colour), tuple(str(flag) for flag in flags))
    except (ValueError, TypeError):
        return None  # not what this installation sealed, or for another person: ask the database


def _colour(person_id: str) -> str:
    return f"colour:{person_id}"


def _in_flight(person_id: str) -> str:
    return f"colour-in-flight:{person_id}"


def _subject(subject: str) -> str:
    return f"subject:{subject}"


def _colour_context(person_id: str) -> str:
    return f"shared_colour:{person_id}"


def _subject_context(subject: str) -> str:
    return f"shared_subject:{subject}"

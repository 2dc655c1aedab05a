"""Who a person is, according to the population register (A1, S3, D2).

`PopulationRegister` is the interface: a province that has a real-name service (实名核验) plugs it
in instead of `RecordedRegister`, which answers from the police feed recorded here. Either way the
answer to "does this name go with this document?" is the same `None` for a wrong name and for an
unknown document, so an unverified caller learns nothing from it (ADR 0009).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from healthcode.db.register_store import RegisterConflictError, RegisteredPerson
from healthcode.domain.facts import PersonKey
from healthcode.domain.register import RegisterEntry
from healthcode.exchange import RecordError
from healthcode.services.runtime import UnitOfWork


class PopulationRegister(Protocol):
    def matching(self, uow: UnitOfWork, key: PersonKey, name: str) -> RegisteredPerson | None:
        """What the register holds of `key` if `name` is its holder's name; else None."""
        ...

    def household_of(self, uow: UnitOfWork, key: PersonKey) -> bytes | None:
        """An opaque token for the household `key` is registered in (equal tokens: one 户)."""
        ...


class RecordedRegister:
    """The register as the police feed recorded it (`healthcode import register`, the demo)."""

    def matching(self, uow: UnitOfWork, key: PersonKey, name: str) -> RegisteredPerson | None:
        return uow.register.matching(key, name)

    def household_of(self, uow: UnitOfWork, key: PersonKey) -> bytes | None:
        return uow.register.household_of(key)


RECORDED: Final = RecordedRegister()


@dataclass(frozen=True, slots=True)
class RegisterReport:
    recorded: int = 0
    unchanged: int = 0
    conflicts: tuple[RecordError, ...] = ()


def record_register(
    uow: UnitOfWork, entries: Sequence[RegisterEntry], locations: Sequence[str] | None = None
) -> RegisterReport:
    """Record register entries (a later one for a document replaces the earlier).

    The same event with other content is a located conflict and the others go on; audited by
    count, never by person.
    """
    recorded = unchanged = 0
    conflicts: list[RecordError] = []
    for index, entry in enumerate(entries):
        try:
            stored = uow.register.put(entry, uow.now)
        except RegisterConflictError as error:
            where = locations[index] if locations is not None else f"item {index + 1}"
            conflicts.append(RecordError(where, entry.event_id, "event_id", str(error)))
            continue
        recorded, unchanged = (recorded + 1, unchanged) if stored else (recorded, unchanged + 1)
    detail = f"recorded={recorded} unchanged={unchanged} conflicts={len(conflicts)}"
    uow.audit("register.record", detail=detail)
    return RegisterReport(recorded, unchanged, tuple(conflicts))

"""Who a person is, according to the population register (A1, S3, D2).

`PopulationRegister` is the interface: a province that has a real-name service (实名核验) plugs it
in instead of `RecordedRegister`, which answers from the police feed recorded here. Either way the
answer to "does this name go with this document?" is the same `None` for a wrong name and for an
unknown document, so an unverified caller learns nothing from it (ADR 0009).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Protocol

from healthcode.db.register_store import RegisteredPerson
from healthcode.domain.facts import PersonKey
from healthcode.domain.register import RegisterEntry
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


def record_register(uow: UnitOfWork, entries: Iterable[RegisterEntry]) -> RegisterReport:
    """Record register entries (a later one for a document replaces the earlier); audited by count,
    never by person."""
    recorded = unchanged = 0
    for entry in entries:
        if uow.register.put(entry, uow.now):
            recorded += 1
        else:
            unchanged += 1
    uow.audit("register.record", detail=f"recorded={recorded} unchanged={unchanged}")
    return RegisterReport(recorded, unchanged)

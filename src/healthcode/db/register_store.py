"""The population register at rest: documents and names only as keyed hashes, the phone on record
and the birth date sealed (D2). A look-up does the same keyed-hash work whether or not the document
is there, so its timing does not say which (ADR 0009)."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import Connection, delete, insert, select

from healthcode.db.schema import population_register
from healthcode.domain.facts import PersonKey
from healthcode.domain.register import RegisterEntry, normalised_name
from healthcode.security.vault import Vault

DOCUMENT_INDEX: Final = "register-document"
NAME_INDEX: Final = "register-name"
HOUSEHOLD_INDEX: Final = "register-household"
CONTENT_INDEX: Final = "register-content"
PHONE_INDEX: Final = "phone"  # the same index as resident accounts: the signed-in phone compares
_NOBODY: Final = bytes(32)  # compared against when the document is not there: same work


@dataclass(frozen=True, slots=True)
class RegisteredPerson:
    """What the register says of a person whose name matched: never shown, only acted on."""

    phone: str | None
    phone_index: bytes | None
    household_index: bytes
    born: date | None


class RegisterConflictError(ValueError):
    """The same (source, event_id) came again with other content (SPEC §1: an error)."""


class RegisterStore:
    def __init__(self, connection: Connection, vault: Vault) -> None:
        self._connection = connection
        self._vault = vault

    def put(self, entry: RegisterEntry, now: datetime) -> bool:
        """Record an entry; a later one for the same document replaces it. False: the same event
        again; the same event with other content raises RegisterConflictError."""
        document = self._document(entry.person.key)
        digest = self._digest(entry)
        known = self._connection.execute(
            select(population_register.c.content_digest).where(
                population_register.c.source == entry.source.value,
                population_register.c.event_id == entry.event_id,
            )
        ).one_or_none()
        if known is not None:
            if hmac.compare_digest(bytes(known.content_digest), digest):
                return False
            raise RegisterConflictError("the same event_id was recorded with other content")
        self._connection.execute(
            delete(population_register).where(population_register.c.id_index == document)
        )
        self._connection.execute(insert(population_register).values(self._row(entry, now)))
        return True

    def matching(self, key: PersonKey, name: str) -> RegisteredPerson | None:
        """The entry for `key` if `name` is the name on it, else None, for a wrong name and an
        unknown document alike (both keyed hashes are computed and compared either way)."""
        document = self._document(key)
        wanted = self._name(key, name)
        row = self._connection.execute(
            select(population_register).where(population_register.c.id_index == document)
        ).one_or_none()
        stored = _NOBODY if row is None else bytes(row.name_index)
        if not hmac.compare_digest(stored, wanted) or row is None or not normalised_name(name):
            return None
        context = _context(document)
        phone = (
            None if row.phone_sealed is None else self._vault.open_text(row.phone_sealed, context)
        )
        born_text = (
            None if row.born_sealed is None else self._vault.open_text(row.born_sealed, context)
        )
        return RegisteredPerson(
            phone,
            None if row.phone_index is None else bytes(row.phone_index),
            bytes(row.household_index),
            None if born_text is None else date.fromisoformat(born_text),
        )

    def household_of(self, key: PersonKey) -> bytes | None:
        found = self._connection.execute(
            select(population_register.c.household_index).where(
                population_register.c.id_index == self._document(key)
            )
        ).scalar_one_or_none()
        return None if found is None else bytes(found)

    def _row(self, entry: RegisterEntry, now: datetime) -> dict[str, object]:
        person = entry.person
        document = self._document(person.key)
        context = _context(document)
        born = entry.birth_date
        return {
            "id_index": document,
            "name_index": self._name(person.key, person.name or ""),
            "household_index": self._vault.blind_index(HOUSEHOLD_INDEX, entry.household),
            "phone_index": None
            if person.phone is None
            else self._vault.blind_index(PHONE_INDEX, person.phone),
            "phone_sealed": None
            if person.phone is None
            else self._vault.seal_text(person.phone, context),
            "born_sealed": None
            if born is None
            else self._vault.seal_text(born.isoformat(), context),
            "source": entry.source.value,
            "event_id": entry.event_id,
            "content_digest": self._digest(entry),
            "occurred_at": entry.occurred_at,
            "recorded_at": now,
        }

    def _digest(self, entry: RegisterEntry) -> bytes:
        person = entry.person
        content = json.dumps(
            [person.id_type.value, person.id_number, person.name, person.phone,
             person.nationality, entry.household, entry.occurred_at.isoformat(),
             None if entry.born is None else entry.born.isoformat()],
            ensure_ascii=False,
        )  # fmt: skip
        return self._vault.blind_index(CONTENT_INDEX, content)

    def _document(self, key: PersonKey) -> bytes:
        return self._vault.blind_index(DOCUMENT_INDEX, f"{key.id_type.value}:{key.id_number}")

    def _name(self, key: PersonKey, name: str) -> bytes:
        # The document is part of the hashed value: equal names of two people hash apart.
        value = f"{key.id_type.value}:{key.id_number}:{normalised_name(name)}"
        return self._vault.blind_index(NAME_INDEX, value)


def _context(document: bytes) -> str:
    return f"register:{document.hex()}"

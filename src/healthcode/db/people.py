"""Persons: identity sealed at rest, found by a keyed blind index, shown masked (D2)."""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from healthcode.db.buckets import bucket_of
from healthcode.db.lookups import any_of
from healthcode.db.schema import persons
from healthcode.db.writes import chunks, insert_rows
from healthcode.domain.facts import Person, PersonKey
from healthcode.domain.identity import IdType, mask_id_number, mask_name
from healthcode.domain.regions import region_problem
from healthcode.security.pseudonyms import new_person_id
from healthcode.security.vault import Sealer, Vault

ID_INDEX = "identity-document"


@dataclass(frozen=True, slots=True)
class StoredPerson:
    """What may be known of a person without opening their sealed fields."""

    id: str
    id_type: IdType
    id_number_masked: str
    name_masked: str | None
    home_region: str | None


class PersonStore:
    def __init__(self, connection: Connection, vault: Vault) -> None:
        self._connection = connection
        self._vault = vault

    def index_of(self, key: PersonKey) -> bytes:
        return person_index(self._vault, key)

    def ids_for(self, keys: Iterable[PersonKey]) -> dict[PersonKey, str]:
        """The stored ids of those of `keys` that are known."""
        by_index = {self.index_of(key): key for key in keys}
        return {by_index[index]: id_ for index, id_ in self.ids_of_indexes(by_index).items()}

    def ids_of_indexes(self, indexes: Iterable[bytes]) -> dict[bytes, str]:
        """The stored ids of the persons with these blind indexes (`index_of`), those known."""
        found: dict[bytes, str] = {}
        for condition in any_of(self._connection, persons.c.id_index, list(indexes)):
            rows = self._connection.execute(
                select(persons.c.id, persons.c.id_index).where(condition)
            )
            found.update({bytes(row.id_index): row.id for row in rows})
        return found

    def add(self, person: Person, now: datetime) -> str:
        return self.add_many([person], now)[0]

    def add_many(self, persons_to_add: Sequence[Person], now: datetime) -> list[str]:
        """Store new persons with one write (COPY or executemany); their new ids, in order.

        Their fields are sealed in one batch (one data key wrapped once, ADR 0011). Persons already
        on record are refused by the unique blind index, failing the whole batch.
        """
        return self.add_indexed(
            [(person, self.index_of(person.key)) for person in persons_to_add], now
        )

    def add_indexed(
        self, persons_to_add: Sequence[tuple[Person, bytes]], now: datetime
    ) -> list[str]:
        """`add_many` of persons whose `person_index` is known already (an import's workers made
        it): each (person, index)."""
        sealer = self._vault.sealer()
        rows = [new_person_row(sealer, person, index) for person, index in persons_to_add]
        insert_rows(self._connection, persons, [{**row, "created_at": now} for row in rows])
        return [str(row["id"]) for row in rows]

    def find(self, key: PersonKey) -> StoredPerson | None:
        row = self._connection.execute(
            select(persons).where(persons.c.id_index == self.index_of(key))
        ).one_or_none()
        return None if row is None else stored_person(row)

    def name_matches(self, person: StoredPerson | None, name: str) -> bool:
        """Whether `name` is the one on record (spacing and letter case aside).

        For no person, the same query runs and a decoy is sealed (as costly as opening a name), so
        an unknown number takes about as long as a known one. A person on record without a name is
        matched on the number alone: refusing them would turn their colour into green (A4).
        """
        row = self._connection.execute(
            select(persons.c.name_sealed).where(
                persons.c.id == ("-" if person is None else person.id)
            )
        ).one_or_none()
        if person is None or row is None or row.name_sealed is None:
            self._vault.seal_text(name, "person:-:name")
            return person is not None and row is not None
        stored = self._vault.open_text(row.name_sealed, f"person:{person.id}:name")
        return hmac.compare_digest(_comparable(stored), _comparable(name))

    def by_ids(self, person_ids: Iterable[str]) -> dict[str, StoredPerson]:
        """The masked records of those of `person_ids` that exist (nothing sealed is opened)."""
        found: dict[str, StoredPerson] = {}
        for batch in chunks(list(person_ids)):
            rows = self._connection.execute(select(persons).where(persons.c.id.in_(batch)))
            found.update({row.id: stored_person(row) for row in rows})
        return found

    def key_of(self, person_id: str) -> PersonKey | None:
        """The identity document of a stored person, opened from its seal: only for a caller the
        person is linked to (issuing their code needs the key)."""
        row = self._connection.execute(
            select(persons.c.id_type, persons.c.id_number_sealed).where(persons.c.id == person_id)
        ).one_or_none()
        return None if row is None else opened_key(self._vault, person_id, row)

    def person_ids(self, after: str | None, limit: int) -> list[str]:
        """One page of all stored persons in id order, starting after `after` (keyset paging)."""
        query = select(persons.c.id).order_by(persons.c.id).limit(limit)
        if after is not None:
            query = query.where(persons.c.id > after)
        return list(self._connection.execute(query).scalars())

    def home_regions(self, person_ids: Iterable[str]) -> dict[str, str | None]:
        regions: dict[str, str | None] = {}
        for batch in chunks(list(person_ids)):
            rows = self._connection.execute(
                select(persons.c.id, persons.c.home_region).where(persons.c.id.in_(batch))
            )
            regions.update({row.id: row.home_region for row in rows})
        return regions


def new_person_row(sealer: Sealer, person: Person, index: bytes) -> dict[str, object]:
    """The row of a person not yet on record (`index` is their `person_index`), under a new id,
    without its `created_at`."""
    person_id = new_person_id()
    # Every column a new row has, each time: COPY writes exactly these (db/writes.py).
    return {
        "id": person_id,
        "id_type": person.id_type.value,
        "id_index": index,
        "id_number_sealed": _seal(sealer, person_id, "id_number", person.id_number),
        "id_number_masked": mask_id_number(person.id_number),
        "name_sealed": _seal(sealer, person_id, "name", person.name),
        "name_masked": None if person.name is None else mask_name(person.name),
        "phone_sealed": _seal(sealer, person_id, "phone", person.phone),
        "nationality_sealed": _seal(sealer, person_id, "nationality", person.nationality),
        "home_region": _home_region(person),
        "bucket": bucket_of(person_id),
    }


def opened_key(vault: Vault, person_id: str, row: Row[*tuple[Any, ...]]) -> PersonKey:
    """The identity document of a `persons` row (`id_type`, `id_number_sealed`), opened."""
    number = vault.open_text(row.id_number_sealed, id_number_context(person_id))
    return PersonKey(IdType(row.id_type), number)


def id_number_context(person_id: str) -> str:
    """The context a person's document number is sealed under (`new_person_row`)."""
    return f"person:{person_id}:id_number"


def stored_person(row: Row[*tuple[Any, ...]]) -> StoredPerson:
    """The masked record of a `persons` row (its columns by their names)."""
    return StoredPerson(
        row.id, IdType(row.id_type), row.id_number_masked, row.name_masked, row.home_region
    )


def person_index(vault: Vault, key: PersonKey) -> bytes:
    """The keyed blind index that finds a person by identity document (`persons.id_index`)."""
    return vault.blind_index(ID_INDEX, f"{key.id_type.value}:{key.id_number}")


def _seal(sealer: Sealer, person_id: str, field: str, value: str | None) -> bytes | None:
    if value is None:
        return None
    return sealer.seal_text(value, f"person:{person_id}:{field}")


def _comparable(name: str) -> bytes:
    return "".join(name.split()).casefold().encode()


def _home_region(person: Person) -> str | None:
    """The county of registration that a resident ID carries, used to route local handling."""
    if person.id_type is not IdType.RESIDENT_ID:
        return None
    region = person.id_number[:6]
    return region if region_problem(region) is None else None

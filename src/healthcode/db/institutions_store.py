"""Communities and medical institutions that may issue paper certificates (S4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from healthcode.db.schema import institutions


@dataclass(frozen=True, slots=True)
class StoredInstitution:
    id: str
    name: str
    kind: str
    region: str
    registered_by: str
    registered_at: datetime


class InstitutionStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, institution: StoredInstitution) -> None:
        self._connection.execute(
            insert(institutions).values(
                id=institution.id,
                name=institution.name,
                kind=institution.kind,
                region=institution.region,
                registered_by=institution.registered_by,
                registered_at=institution.registered_at,
            )
        )

    def get(self, institution_id: str) -> StoredInstitution | None:
        row = self._connection.execute(
            select(institutions).where(institutions.c.id == institution_id)
        ).one_or_none()
        return None if row is None else _institution(row)

    def all(self) -> list[StoredInstitution]:
        rows = self._connection.execute(select(institutions).order_by(institutions.c.id))
        return [_institution(row) for row in rows]


def _institution(row: Row[Any]) -> StoredInstitution:
    return StoredInstitution(
        row.id, row.name, row.kind, row.region, row.registered_by, row.registered_at
    )

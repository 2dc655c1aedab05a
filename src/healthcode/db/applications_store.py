"""Applications for a code (A1): who applied for whom, through which channel, for which version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from healthcode.db.schema import applications


@dataclass(frozen=True, slots=True)
class StoredApplication:
    id: int
    person_id: str
    applicant_id: str | None  # None: the person applied themselves
    relationship: str | None
    channel: str
    version: str
    applied_at: datetime


class ApplicationStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(
        self,
        person_id: str,
        applicant_id: str | None,
        relationship: str | None,
        channel: str,
        version: str,
        now: datetime,
    ) -> int:
        result = self._connection.execute(
            insert(applications).values(
                person_id=person_id,
                applicant_id=applicant_id,
                relationship=relationship,
                channel=channel,
                version=version,
                applied_at=now,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def of_person(self, person_id: str) -> list[StoredApplication]:
        """Every application for the person, oldest first."""
        rows = self._connection.execute(
            select(applications)
            .where(applications.c.person_id == person_id)
            .order_by(applications.c.id)
        )
        return [
            StoredApplication(
                row.id,
                row.person_id,
                row.applicant_id,
                row.relationship,
                row.channel,
                row.version,
                row.applied_at,
            )
            for row in rows
        ]

    def current_version(self, person_id: str) -> str | None:
        """The version of the person's latest application (domestic, international), if any."""
        return self._connection.execute(
            select(applications.c.version)
            .where(applications.c.person_id == person_id)
            .order_by(applications.c.id.desc())
            .limit(1)
        ).scalar_one_or_none()

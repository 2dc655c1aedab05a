"""The rotating pseudonyms put in codes: the only link from a code's subject to a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from healthcode.db.schema import code_subjects


@dataclass(frozen=True, slots=True)
class CodeSubject:
    subject: str
    person_id: str
    kid: str
    medium: str
    version: str
    issued_at: datetime
    expires_at: datetime


class CodeSubjectStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, code: CodeSubject) -> None:
        self._connection.execute(
            insert(code_subjects).values(
                subject=code.subject,
                person_id=code.person_id,
                kid=code.kid,
                medium=code.medium,
                version=code.version,
                issued_at=code.issued_at,
                expires_at=code.expires_at,
            )
        )

    def find(self, subject: str) -> CodeSubject | None:
        row = self._connection.execute(
            select(code_subjects).where(code_subjects.c.subject == subject)
        ).one_or_none()
        if row is None:
            return None
        return CodeSubject(
            row.subject,
            row.person_id,
            row.kid,
            row.medium,
            row.version,
            row.issued_at,
            row.expires_at,
        )

    def purge_expired_before(self, cutoff: datetime) -> int:
        """Forget the pseudonyms of codes that expired before `cutoff`; returns how many went."""
        result = self._connection.execute(
            delete(code_subjects).where(code_subjects.c.expires_at < cutoff)
        )
        return result.rowcount

"""Other issuers this installation trusts: their root key and the latest list that verified."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from healthcode.db.schema import trusted_issuers


@dataclass(frozen=True, slots=True)
class StoredIssuer:
    issuer: str
    root_jwk: dict[str, Any]
    registered_by: str
    registered_at: datetime
    trust_list: dict[str, Any] | None  # the signed document as received
    trust_list_received_at: datetime | None


class TrustedIssuerStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, issuer: str) -> StoredIssuer | None:
        row = self._connection.execute(
            select(trusted_issuers).where(trusted_issuers.c.issuer == issuer)
        ).one_or_none()
        return None if row is None else _stored(row)

    def all(self) -> list[StoredIssuer]:
        rows = self._connection.execute(select(trusted_issuers).order_by(trusted_issuers.c.issuer))
        return [_stored(row) for row in rows]

    def register(self, issuer: str, root_jwk: dict[str, Any], by: str, at: datetime) -> bool:
        """Register `issuer` with its root; a new root drops the list held under the old one.

        Returns whether the issuer was registered before.
        """
        values = {
            "root_jwk": root_jwk,
            "registered_by": by,
            "registered_at": at,
            "trust_list": None,
            "trust_list_received_at": None,
        }
        if self.get(issuer) is None:
            self._connection.execute(insert(trusted_issuers).values(issuer=issuer, **values))
            return False
        self._connection.execute(
            update(trusted_issuers).where(trusted_issuers.c.issuer == issuer).values(values)
        )
        return True

    def keep_list(self, issuer: str, document: dict[str, Any], received_at: datetime) -> None:
        self._connection.execute(
            update(trusted_issuers)
            .where(trusted_issuers.c.issuer == issuer)
            .values(trust_list=document, trust_list_received_at=received_at)
        )


def _stored(row: Row[Any]) -> StoredIssuer:
    return StoredIssuer(
        issuer=row.issuer,
        root_jwk=dict(row.root_jwk),
        registered_by=row.registered_by,
        registered_at=row.registered_at,
        trust_list=None if row.trust_list is None else dict(row.trust_list),
        trust_list_received_at=row.trust_list_received_at,
    )

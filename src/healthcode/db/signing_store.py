"""Signing keys of this installation: public half in clear (published), private half sealed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from healthcode.db.schema import signing_keys


@dataclass(frozen=True, slots=True)
class StoredSigningKey:
    kid: str
    issuer: str
    purpose: str
    public_jwk: dict[str, Any]
    created_at: datetime
    retired_at: datetime | None
    revoked_at: datetime | None


class SigningKeyStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, key: StoredSigningKey, private_sealed: bytes) -> None:
        self._connection.execute(
            insert(signing_keys).values(
                kid=key.kid,
                issuer=key.issuer,
                purpose=key.purpose,
                public_jwk=key.public_jwk,
                private_sealed=private_sealed,
                created_at=key.created_at,
                retired_at=key.retired_at,
                revoked_at=key.revoked_at,
            )
        )

    def get(self, kid: str) -> StoredSigningKey | None:
        row = self._connection.execute(
            select(signing_keys).where(signing_keys.c.kid == kid)
        ).one_or_none()
        return None if row is None else _stored(row)

    def active(self, issuer: str, purpose: str) -> list[StoredSigningKey]:
        """Keys that still sign, newest first (two only if two writers raced to make the first)."""
        rows = self._connection.execute(
            select(signing_keys)
            .where(
                (signing_keys.c.issuer == issuer)
                & (signing_keys.c.purpose == purpose)
                & signing_keys.c.retired_at.is_(None)
                & signing_keys.c.revoked_at.is_(None)
            )
            .order_by(signing_keys.c.created_at.desc(), signing_keys.c.kid)
        )
        return [_stored(row) for row in rows]

    def of_issuer(self, issuer: str) -> list[StoredSigningKey]:
        rows = self._connection.execute(
            select(signing_keys)
            .where(signing_keys.c.issuer == issuer)
            .order_by(signing_keys.c.created_at, signing_keys.c.kid)
        )
        return [_stored(row) for row in rows]

    def private_sealed(self, kid: str) -> bytes:
        return bytes(
            self._connection.execute(
                select(signing_keys.c.private_sealed).where(signing_keys.c.kid == kid)
            ).scalar_one()
        )

    def retire(self, kid: str, at: datetime) -> None:
        self._connection.execute(
            update(signing_keys)
            .where((signing_keys.c.kid == kid) & signing_keys.c.retired_at.is_(None))
            .values(retired_at=at)
        )

    def revoke(self, kid: str, at: datetime) -> None:
        self._connection.execute(
            update(signing_keys).where(signing_keys.c.kid == kid).values(revoked_at=at)
        )


def _stored(row: Row[Any]) -> StoredSigningKey:
    return StoredSigningKey(
        kid=row.kid,
        issuer=row.issuer,
        purpose=row.purpose,
        public_jwk=dict(row.public_jwk),
        created_at=row.created_at,
        retired_at=row.retired_at,
        revoked_at=row.revoked_at,
    )

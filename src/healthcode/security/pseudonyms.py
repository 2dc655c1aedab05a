"""Pseudonyms: how persons are keyed in storage and named in audit entries without personal data."""

from __future__ import annotations

import uuid

from healthcode.security.vault import Vault

AUDIT_PSEUDONYM_HEX: int = 16


def new_person_id() -> str:
    """A random UUID4: the key a person is stored under (D2).

    Nothing is derived from identity, so the key reveals nothing and outlives the destruction of
    every personal field.
    """
    return str(uuid.uuid4())


def audit_pseudonym(vault: Vault, kind: str, value: str) -> str:
    """``kind:`` + the first 16 hex digits of the blind index, to name an object in an audit entry.

    Whoever holds the index key can link the entry to the object; once the key is destroyed,
    nobody can (D1).
    """
    return f"{kind}:{vault.blind_index(kind, value).hex()[:AUDIT_PSEUDONYM_HEX]}"

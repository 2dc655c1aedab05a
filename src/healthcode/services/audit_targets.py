"""How audit entries name a person: by a pseudonym of their document, never by the document."""

from __future__ import annotations

from typing import TYPE_CHECKING

from healthcode.security.pseudonyms import audit_pseudonym

if TYPE_CHECKING:
    from healthcode.domain.facts import PersonKey
    from healthcode.services.runtime import UnitOfWork


def person_target(uow: UnitOfWork, key: PersonKey) -> str:
    """`person:` and 16 hex digits of the document's blind index (D1): the same person is the same
    object in every entry, and nobody can tell who once the index key is destroyed."""
    return audit_pseudonym(uow.runtime.vault, "person", f"{key.id_type.value}:{key.id_number}")

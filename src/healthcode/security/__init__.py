"""Personal-data protection (D1, D2): envelope encryption with versioned keys, keyed blind indexes,
pseudonyms, and the key material kept on disk outside the database."""

from healthcode.security.keyring import (
    Keyring,
    KeyringError,
    add_key_version,
    generate_keyring,
    init_keyring,
    load_keyring,
)
from healthcode.security.pseudonyms import audit_pseudonym, new_person_id
from healthcode.security.vault import SealedDataError, Vault, sealed_key_version

__all__ = [
    "Keyring",
    "KeyringError",
    "SealedDataError",
    "Vault",
    "add_key_version",
    "audit_pseudonym",
    "generate_keyring",
    "init_keyring",
    "load_keyring",
    "new_person_id",
    "sealed_key_version",
]

"""Staff passwords: argon2id, salted, with parameters that can be raised later (RFC 9106)."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Unambiguous letters and digits: a generated password is read aloud or copied by hand once.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_password(length: int = 16) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


@cache
def decoy_hash() -> str:
    """Verified when an account is unknown, so a wrong username costs what a wrong password does.

    Made on first use, not at import: hashing takes as long as a sign-in, and most commands never
    sign anyone in.
    """
    return hash_password(new_password())

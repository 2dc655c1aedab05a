"""Why a code was refused: the whole rejection vocabulary of the token, in one place.

A checkpoint shows the rejection to the person and to the operator (issue 4, item 5), so each member
names the layer that failed rather than a bare "invalid".
"""

from enum import StrEnum


class Rejection(StrEnum):
    """Why a code was refused, in the order a token meets the checks.

    Raised as `TokenError` by `codec.read_token`, which undoes the text layers:
    `bad_prefix` (not `HZ1:`), `bad_encoding` (Base45), `bad_compression` (zlib, size cap),
    `bad_structure` (CBOR, COSE_Sign1 or CWT claims).

    Returned by the trust layer (not in this package: it holds the trust list), which looks the
    issuer and key id up before any signature is checked: `issuer_not_trusted`, `unknown_key`,
    `revoked` (key or token).

    Returned by `codec.check_token` once a key is in hand: `bad_signature`, `expired`,
    `not_yet_valid`.
    """

    BAD_PREFIX = "bad_prefix"
    BAD_ENCODING = "bad_encoding"
    BAD_COMPRESSION = "bad_compression"
    BAD_STRUCTURE = "bad_structure"
    ISSUER_NOT_TRUSTED = "issuer_not_trusted"
    UNKNOWN_KEY = "unknown_key"
    REVOKED = "revoked"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"


class TokenError(ValueError):
    """A token that cannot be read; `rejection` says which layer refused it."""

    def __init__(self, rejection: Rejection, detail: str) -> None:
        super().__init__(f"{rejection}: {detail}")
        self.rejection = rejection
        self.detail = detail

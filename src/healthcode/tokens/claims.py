"""The CWT claims of a health code (SPEC §3, RFC 8392), and their CBOR form.

Standard claims carry who issued the code, for which pseudonym and for how long. Everything else
sits in one private claim, key -260: the IANA-registered "hcert" (health certificate) claim the EU
Digital COVID Certificate uses. Its value is a map; the EU puts its certificate under integer key 1,
ours uses text keys only, so an EU verifier finds no certificate here instead of misreading one.

There is no field for an ID number, a phone or a full name, so none can reach a token (D2); the
name is masked before it is signed.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final, TypeVar

import cbor2

from healthcode.domain.rules import Colour
from healthcode.tokens.cose import decode_cbor
from healthcode.tokens.errors import Rejection, TokenError

# CWT claim keys (RFC 8392 §4).
ISSUER: Final = 1
SUBJECT: Final = 2
EXPIRES_AT: Final = 4
ISSUED_AT: Final = 6
HEALTH_CODE: Final = -260
# Keys of the private claim's map.
COLOUR: Final = "c"
FLAGS: Final = "f"
VERSION: Final = "v"
MASKED_NAME: Final = "n"
MEDIUM: Final = "p"

_HEALTH_CODE_NAME: Final = f"claim {HEALTH_CODE}"
_Member = TypeVar("_Member", bound=StrEnum)

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
# NumericDate is whole seconds since 1970 UTC; 9999-12-31T23:59:59Z is the last a datetime holds.
_LAST_SECOND: Final = 253_402_300_799


class CodeVersion(StrEnum):
    DOMESTIC = "domestic"
    INTERNATIONAL = "international"


class Medium(StrEnum):
    """How the code is shown: a paper code (S4) is printed once, with a longer, stated validity."""

    PHONE = "phone"
    PAPER = "paper"


@dataclass(frozen=True, slots=True)
class CodeClaims:
    """What a code says. Decoded times are in UTC; equality compares instants, not zones."""

    issuer: str
    subject: str
    issued_at: datetime
    expires_at: datetime
    colour: Colour
    flags: tuple[str, ...]
    version: CodeVersion
    masked_name: str
    medium: Medium

    def __post_init__(self) -> None:
        if self.issued_at.utcoffset() is None or self.expires_at.utcoffset() is None:
            raise ValueError("code times must be timezone-aware")
        if self.expires_at <= self.issued_at:
            raise ValueError("a code must expire after it is issued")


def encode_claims(claims: CodeClaims) -> bytes:
    """Deterministic CBOR of the claims; times are whole seconds (sub-seconds are dropped)."""
    if "*" not in claims.masked_name:
        raise ValueError("the name must be masked before it is signed (D2)")
    return cbor2.dumps(
        {
            ISSUER: claims.issuer,
            SUBJECT: claims.subject,
            EXPIRES_AT: numeric_date(claims.expires_at),
            ISSUED_AT: numeric_date(claims.issued_at),
            HEALTH_CODE: {
                COLOUR: claims.colour.value,
                FLAGS: list(claims.flags),
                VERSION: claims.version.value,
                MASKED_NAME: claims.masked_name,
                MEDIUM: claims.medium.value,
            },
        },
        canonical=True,
    )


def decode_claims(payload: bytes) -> CodeClaims:
    """The claims in `payload`; `TokenError` (bad_structure) if one is missing or ill-typed.

    Claims this version does not know are ignored, as RFC 8392 asks, so a later version can add
    some without breaking older checkpoints.
    """
    claims = claim_map(decode_cbor(payload), "the claim set")
    code = claim_map(claims.get(HEALTH_CODE), _HEALTH_CODE_NAME)
    issued_at = from_numeric_date(claims.get(ISSUED_AT), "iat")
    expires_at = from_numeric_date(claims.get(EXPIRES_AT), "exp")
    if expires_at <= issued_at:
        raise malformed("exp is not after iat")
    return CodeClaims(
        issuer=claim_text(claims.get(ISSUER), "iss"),
        subject=claim_text(claims.get(SUBJECT), "sub"),
        issued_at=issued_at,
        expires_at=expires_at,
        colour=_member(Colour, code.get(COLOUR), "colour"),
        flags=_flags(code.get(FLAGS)),
        version=_member(CodeVersion, code.get(VERSION), "version"),
        masked_name=claim_text(code.get(MASKED_NAME), "masked name"),
        medium=_member(Medium, code.get(MEDIUM), "medium"),
    )


def numeric_date(moment: datetime) -> int:
    """A CWT NumericDate: whole seconds since the epoch (shared by every claim set we sign)."""
    return (moment - _EPOCH) // timedelta(seconds=1)


def from_numeric_date(value: object, name: str) -> datetime:
    if type(value) is not int or not 0 <= value <= _LAST_SECOND:
        raise malformed(f"{name} is not a NumericDate in whole seconds")
    return _EPOCH + timedelta(seconds=value)


def claim_text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise malformed(f"{name} is missing or not text")
    return value


def _flags(value: object) -> tuple[str, ...]:
    # A CBOR array decodes to a list: the abstract Sequence check is for anything else.
    if type(value) is not list and (
        not isinstance(value, Sequence) or isinstance(value, str | bytes)
    ):
        raise malformed("flags are not a list")
    return tuple(claim_text(flag, "a flag") for flag in value)


def _member(kind: type[_Member], value: object, name: str) -> _Member:
    text = claim_text(value, name)
    # The enum's own value table: calling `kind(text)` costs a metaclass call on every scan.
    member = kind._value2member_map_.get(text)
    if member is None:
        raise malformed(f"unknown {name} {text!r}")
    return member  # type: ignore[return-value]


def claim_map(value: object, name: str) -> Mapping[object, object]:
    # A CBOR map decodes to a dict: the abstract Mapping check is for anything else.
    if type(value) is not dict and not isinstance(value, Mapping):
        raise malformed(f"{name} is not a map")
    return value


def malformed(detail: str) -> TokenError:
    return TokenError(Rejection.BAD_STRUCTURE, detail)

"""Envelope encryption of personal data and keyed blind indexes (D1, D2).

Every sealed value has its own random 256-bit data key. The value is encrypted under it with
AES-256-GCM, and the data key is wrapped under the active key-encryption key (KEK) with AES-256-GCM.
Both use the caller's *context* (for example ``person:1f0c…:name``) as associated data, so a
ciphertext copied to another row or column does not open. The context names where a value lives;
it must never contain personal data.

Layout of a sealed value (format 1), 91 bytes plus the plaintext:

    offset  size  field
    0       1     format (1)
    1       2     KEK version, big-endian
    3       12    nonce of the wrapped data key
    15      48    wrapped data key (32) + GCM tag (16); AAD = bytes 0..2 + context
    63      12    nonce of the value
    75      n+16  encrypted value + GCM tag; AAD = context

The header is bound into the wrap's associated data, so a changed format or version byte fails to
open. Rotation (`rewrap`) replaces bytes 0..62 only. Wrap nonces are random: a KEK should wrap fewer
than 2**32 data keys (the NIST SP 800-38D bound for random 96-bit nonces) before a new version is
added.
"""

from __future__ import annotations

import hmac
import json
import os
import struct
from dataclasses import dataclass
from typing import Final, TypeAlias

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from healthcode.security.keyring import Keyring

FORMAT_V1: Final = 1
_HEADER: Final = struct.Struct(">BH")
_NONCE_BYTES: Final = 12
_TAG_BYTES: Final = 16
_DATA_KEY_BYTES: Final = 32
_WRAP_END: Final = _HEADER.size + _NONCE_BYTES + _DATA_KEY_BYTES + _TAG_BYTES
MIN_SEALED_BYTES: Final = _WRAP_END + _NONCE_BYTES + _TAG_BYTES
INDEX_BYTES: Final = 32
_NOT_AUTHENTIC: Final = (
    "the sealed value does not authenticate: tampered, or opened under another context"
)

JsonValue: TypeAlias = dict[str, "JsonValue"] | list["JsonValue"] | str | int | float | bool | None


class SealedDataError(ValueError):
    """A sealed value cannot be opened. The message never contains any part of the plaintext."""


@dataclass(frozen=True)
class _Envelope:
    version: int
    wrap_nonce: bytes
    wrapped_key: bytes
    data: bytes  # nonce + ciphertext + tag: never touched by rewrap

    @property
    def header(self) -> bytes:
        return _HEADER.pack(FORMAT_V1, self.version)


def sealed_key_version(sealed: bytes) -> int:
    """The KEK version a sealed value is wrapped under, so a rotation job can pick what to move."""
    return _parse(sealed).version


class Vault:
    """Seals and opens personal data and computes blind indexes with the keys of one keyring."""

    __slots__ = ("_active_version", "_index_key", "_keks")

    def __init__(self, keyring: Keyring) -> None:
        self._active_version = keyring.active_version
        # One AESGCM per KEK version, built once: sealing is on every write path.
        self._keks = {version: AESGCM(key) for version, key in keyring.keys.items()}
        self._index_key = keyring.index_key

    def __repr__(self) -> str:
        return f"Vault(key_versions={sorted(self._keks)}, active={self._active_version})"

    @property
    def active_version(self) -> int:
        return self._active_version

    def seal(self, plaintext: bytes, context: str) -> bytes:
        aad = _context_bytes(context)
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(_NONCE_BYTES)
        data = nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad)
        return self._wrap(data_key, aad) + data

    def open(self, sealed: bytes, context: str) -> bytes:
        aad = _context_bytes(context)
        envelope = _parse(sealed)
        data_key = self._unwrap(envelope, aad)
        nonce, ciphertext = envelope.data[:_NONCE_BYTES], envelope.data[_NONCE_BYTES:]
        return _decrypt(AESGCM(data_key), nonce, ciphertext, aad)

    def rewrap(self, sealed: bytes, context: str) -> bytes:
        """The same value with its data key wrapped under the active KEK; ciphertext unchanged.

        Only the wrap is verified; the value is never decrypted. A value already under the active
        version comes back as it is, letting a rotation job skip the write.
        """
        aad = _context_bytes(context)
        envelope = _parse(sealed)
        data_key = self._unwrap(envelope, aad)
        if envelope.version == self._active_version:
            return sealed
        return self._wrap(data_key, aad) + envelope.data

    def seal_text(self, text: str, context: str) -> bytes:
        return self.seal(text.encode("utf-8"), context)

    def open_text(self, sealed: bytes, context: str) -> str:
        plaintext = self.open(sealed, context)
        try:
            return plaintext.decode("utf-8")
        except UnicodeDecodeError:
            pass
        # Raised outside the handler: the decode error holds the plaintext and would otherwise ride
        # along as __context__ into tracebacks and error reporters.
        raise SealedDataError("the sealed value is not UTF-8 text")

    def seal_json(self, value: object, context: str) -> bytes:
        """Seal a JSON-serialisable value (a fact's health data) in a canonical encoding."""
        encoded = json.dumps(
            value, separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False
        )
        return self.seal_text(encoded, context)

    def open_json(self, sealed: bytes, context: str) -> JsonValue:
        text = self.open_text(sealed, context)
        try:
            value: JsonValue = json.loads(text)
        except ValueError:
            pass
        else:
            return value
        raise SealedDataError(
            "the sealed value is not JSON"
        )  # outside: JSONDecodeError.doc is it all

    def blind_index(self, kind: str, value: str) -> bytes:
        """HMAC-SHA256 under the index key over ``kind`` NUL ``value``: 32 bytes for look-ups.

        It is keyed, not a plain hash: ID numbers and phone numbers are few enough to hash them all,
        but without the index key (held outside the database) no such dictionary can be built. The
        kind separates an ID number from a phone with the same digits. Callers pass the normalised
        form (for example an upper-case check character) so that equal values index equally.
        """
        if not kind or "\0" in kind:
            raise ValueError("a blind-index kind must be non-empty and contain no NUL")
        message = kind.encode("utf-8") + b"\0" + value.encode("utf-8")
        return hmac.digest(self._index_key, message, "sha256")

    def _wrap(self, data_key: bytes, aad: bytes) -> bytes:
        header = _HEADER.pack(FORMAT_V1, self._active_version)
        nonce = os.urandom(_NONCE_BYTES)
        return (
            header + nonce + self._keks[self._active_version].encrypt(nonce, data_key, header + aad)
        )

    def _unwrap(self, envelope: _Envelope, aad: bytes) -> bytes:
        kek = self._keks.get(envelope.version)
        if kek is None:
            raise SealedDataError(
                f"the sealed value needs key version {envelope.version}, which this keyring "
                "does not hold (destroyed, or sealed with another keyring)"
            )
        return _decrypt(kek, envelope.wrap_nonce, envelope.wrapped_key, envelope.header + aad)


def _decrypt(aead: AESGCM, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
    try:
        return aead.decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        pass
    # Raised outside the handler, like every SealedDataError, so no exception rides along.
    raise SealedDataError(_NOT_AUTHENTIC)


def _context_bytes(context: str) -> bytes:
    if not context:
        raise ValueError("sealing needs a context naming where the value lives")
    return context.encode("utf-8")


def _parse(sealed: bytes) -> _Envelope:
    if len(sealed) < MIN_SEALED_BYTES:
        raise SealedDataError(
            f"the sealed value is {len(sealed)} bytes, under the {MIN_SEALED_BYTES}-byte minimum"
        )
    format_byte, version = _HEADER.unpack_from(sealed)
    if format_byte != FORMAT_V1:
        raise SealedDataError(f"the sealed value has unknown format {format_byte}")
    wrap_nonce_end = _HEADER.size + _NONCE_BYTES
    return _Envelope(
        version=version,
        wrap_nonce=bytes(sealed[_HEADER.size : wrap_nonce_end]),
        wrapped_key=bytes(sealed[wrap_nonce_end:_WRAP_END]),
        data=bytes(sealed[_WRAP_END:]),
    )

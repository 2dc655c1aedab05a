"""Envelope encryption of personal data and keyed blind indexes (D1, D2).

A value is encrypted with AES-256-GCM under a random 256-bit data key, and the data key is wrapped
under the active key-encryption key (KEK) with AES-256-GCM. The caller's *context* (for example
``person:1f0c…:name``) is associated data of the value's encryption, so a ciphertext copied to
another row or column does not open. The context names where a value lives; it must never contain
personal data. Two formats are written and both are read, for good:

- format 1 (`Vault.seal`): every value has its own data key, wrapped for it alone;
- format 2 (`Vault.sealer`, for batches: ADR 0011): one data key is wrapped once and shared by the
  values of a batch, at most `VALUES_PER_DATA_KEY` of them, so a batch costs one wrap instead of one
  per value. Both formats are the same size.

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

Layout of a sealed value (format 2), the same 91 bytes plus the plaintext:

    offset  size  field
    0       1     format (2)
    1       2     KEK version, big-endian
    3       12    nonce of the wrapped data key
    15      48    wrapped data key (32) + GCM tag (16); AAD = bytes 0..2 + "batch"
    63      12    nonce of the value (random)
    75      n+16  encrypted value + GCM tag; AAD = byte 0 + context

Bytes 0..62 (the *wrap*) are the same in every value of a batch; they cannot name one value's
context, so the row and column binding is in the value's own associated data instead, which also
carries the format byte (rewrap changes bytes 1..62, never byte 0). The wrap's associated data is
its header, so a changed format or version fails to unwrap; a format-1 wrap (header + context) can
never authenticate as a format-2 one (header + "batch", whose format byte differs). Value nonces
are random and one data key encrypts at most `VALUES_PER_DATA_KEY` values, far under the 2**32
bound; a `Sealer` then rolls over to a new data key. Opening keeps the last `OPENED_KEYS` unwrapped
data keys, keyed by the wrap bytes, so reading back a batch unwraps once. Rotation (`rewrap`)
replaces the wrap, and rewraps an old wrap to the same new wrap, so a batch still shares its wrap.
"""

from __future__ import annotations

import hmac
import json
import os
import struct
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, TypeAlias

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from healthcode.security.keyring import Keyring

FORMAT_V1: Final = 1
FORMAT_V2: Final = 2
VALUES_PER_DATA_KEY: Final = 1 << 20
"""Values one format-2 data key may encrypt before a `Sealer` rolls over: 2**12 times under the
2**32 bound for random 96-bit nonces, and still one wrap for any import batch."""
OPENED_KEYS: Final = 1024
"""Unwrapped format-2 data keys kept (and old-to-new wraps remembered by `rewrap`), per Vault."""
_SHARED_WRAP_AAD: Final = b"batch"
_HEADER: Final = struct.Struct(">BH")
_NONCE_BYTES: Final = 12
_TAG_BYTES: Final = 16
_DATA_KEY_BYTES: Final = 32
_WRAP_END: Final = _HEADER.size + _NONCE_BYTES + _DATA_KEY_BYTES + _TAG_BYTES
_DATA_AT: Final = _WRAP_END + _NONCE_BYTES
MIN_SEALED_BYTES: Final = _DATA_AT + _TAG_BYTES
INDEX_BYTES: Final = 32
_NOT_AUTHENTIC: Final = (
    "the sealed value does not authenticate: tampered, or opened under another context"
)

JsonValue: TypeAlias = dict[str, "JsonValue"] | list["JsonValue"] | str | int | float | bool | None


class SealedDataError(ValueError):
    """A sealed value cannot be opened. The message never contains any part of the plaintext."""


@dataclass(frozen=True)
class _Envelope:
    format: int
    version: int
    wrap: bytes  # bytes 0..62: header, wrap nonce, wrapped data key
    data: bytes  # nonce + ciphertext + tag: never touched by rewrap

    @property
    def header(self) -> bytes:
        return self.wrap[: _HEADER.size]

    @property
    def wrap_nonce(self) -> bytes:
        return self.wrap[_HEADER.size : _HEADER.size + _NONCE_BYTES]

    @property
    def wrapped_key(self) -> bytes:
        return self.wrap[_HEADER.size + _NONCE_BYTES :]


class _Bounded:
    """A small thread-safe map that forgets its oldest entries: the web serves from threads."""

    __slots__ = ("_entries", "_limit", "_lock")

    def __init__(self, limit: int) -> None:
        self._entries: OrderedDict[bytes, object] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def get(self, key: bytes) -> object | None:
        # A read needs no lock: one dict look-up is atomic, and only `put` reorders or evicts.
        return self._entries.get(key)

    def put(self, key: bytes, value: object) -> None:
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self._limit:
                self._entries.popitem(last=False)


def sealed_key_version(sealed: bytes) -> int:
    """The KEK version a sealed value is wrapped under, so a rotation job can pick what to move."""
    return _parse(sealed).version


class Vault:
    """Seals and opens personal data and computes blind indexes with the keys of one keyring."""

    __slots__ = ("_active_version", "_index_key", "_keks", "_opened", "_rewrapped")

    def __init__(self, keyring: Keyring) -> None:
        self._active_version = keyring.active_version
        # One AESGCM per KEK version, built once: sealing is on every write path.
        self._keks = {version: AESGCM(key) for version, key in keyring.keys.items()}
        self._index_key = keyring.index_key
        # Format-2 wraps already verified: wrap bytes -> AESGCM of the data key (or the new wrap).
        # Only wraps that authenticated under this keyring get in, so a tampered wrap never hits.
        self._opened = _Bounded(OPENED_KEYS)
        self._rewrapped = _Bounded(OPENED_KEYS)

    def __repr__(self) -> str:
        return f"Vault(key_versions={sorted(self._keks)}, active={self._active_version})"

    @property
    def active_version(self) -> int:
        return self._active_version

    def seal(self, plaintext: bytes, context: str) -> bytes:
        """One value under its own data key (format 1): for values written one at a time."""
        aad = _context_bytes(context)
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(_NONCE_BYTES)
        data = nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad)
        return self._wrap(FORMAT_V1, data_key, aad) + data

    def sealer(self, *, values_per_key: int = VALUES_PER_DATA_KEY) -> Sealer:
        """A sealer for one batch of values (format 2): one data key wrapped once for all of them.

        Use one per batch written, not one for the life of a process: a leaked data key exposes
        the values it sealed (ADR 0011).
        """
        return Sealer(self, values_per_key)

    def open(self, sealed: bytes, context: str) -> bytes:
        aad = _context_bytes(context)
        # The common case first, without parsing: a value of a batch whose data key is open.
        opened = self._opened.get(bytes(sealed[:_WRAP_END]))
        if isinstance(opened, AESGCM) and len(sealed) >= MIN_SEALED_BYTES:
            nonce, ciphertext = sealed[_WRAP_END : _WRAP_END + _NONCE_BYTES], sealed[_DATA_AT:]
            return _decrypt(opened, bytes(nonce), bytes(ciphertext), _value_aad_v2(aad))
        envelope = _parse(sealed)
        nonce, ciphertext = envelope.data[:_NONCE_BYTES], envelope.data[_NONCE_BYTES:]
        if envelope.format == FORMAT_V1:
            data_key = self._unwrap(envelope, envelope.header + aad)
            return _decrypt(AESGCM(data_key), nonce, ciphertext, aad)
        return _decrypt(self._shared_key(envelope), nonce, ciphertext, _value_aad_v2(aad))

    def rewrap(self, sealed: bytes, context: str) -> bytes:
        """The same value with its data key wrapped under the active KEK; ciphertext unchanged.

        Only the wrap is verified; the value is never decrypted. A value already under the active
        version comes back as it is, letting a rotation job skip the write. A format-2 wrap does
        not carry the context (the value does), so for it the context is not checked here; the
        values of a batch get one new wrap between them, as they shared the old one.
        """
        aad = _context_bytes(context)
        envelope = _parse(sealed)
        if envelope.format == FORMAT_V1:
            data_key = self._unwrap(envelope, envelope.header + aad)
            if envelope.version == self._active_version:
                return sealed
            return self._wrap(FORMAT_V1, data_key, aad) + envelope.data
        if envelope.version == self._active_version:
            self._shared_key(envelope)  # verified all the same: a rotation must not copy a forgery
            return sealed
        new_wrap = self._rewrapped.get(envelope.wrap)
        if not isinstance(new_wrap, bytes):
            data_key = self._unwrap(envelope, envelope.header + _SHARED_WRAP_AAD)
            new_wrap = self._wrap(FORMAT_V2, data_key, _SHARED_WRAP_AAD)
            self._rewrapped.put(envelope.wrap, new_wrap)
        return new_wrap + envelope.data

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
        return self.seal_text(_canonical_json(value), context)

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

    def blind_indexes(self, kind: str, values: Iterable[str]) -> list[bytes]:
        """`blind_index` of each value, in order: one call for a page of them (a population
        job digests every code it decides, ADR 0025)."""
        if not kind or "\0" in kind:
            raise ValueError("a blind-index kind must be non-empty and contain no NUL")
        prefix, key = kind.encode("utf-8") + b"\0", self._index_key
        return [hmac.digest(key, prefix + value.encode("utf-8"), "sha256") for value in values]

    def _wrap(self, format_byte: int, data_key: bytes, aad: bytes) -> bytes:
        header = _HEADER.pack(format_byte, self._active_version)
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
        return _decrypt(kek, envelope.wrap_nonce, envelope.wrapped_key, aad)

    def _shared_key(self, envelope: _Envelope) -> AESGCM:
        """The data key of a format-2 wrap, unwrapped once for all the values that share it."""
        cached = self._opened.get(envelope.wrap)
        if isinstance(cached, AESGCM):
            return cached
        aead = AESGCM(self._unwrap(envelope, envelope.header + _SHARED_WRAP_AAD))
        self._opened.put(envelope.wrap, aead)
        return aead


class Sealer:
    """Seals the values of one batch (format 2) under a shared data key, wrapped once.

    The data key is made on the first value and replaced after `values_per_key` values. Values
    open with `Vault.open*` like any other. Not shared between threads: one batch, one writer.
    """

    __slots__ = ("_count", "_data_key", "_limit", "_vault", "_wrap")

    def __init__(self, vault: Vault, values_per_key: int = VALUES_PER_DATA_KEY) -> None:
        if not 0 < values_per_key <= VALUES_PER_DATA_KEY:
            raise ValueError(f"a data key seals between 1 and {VALUES_PER_DATA_KEY} values")
        self._vault = vault
        self._limit = values_per_key
        self._count = 0
        self._data_key: AESGCM | None = None
        self._wrap = b""

    def __repr__(self) -> str:
        return f"Sealer(values_per_key={self._limit})"

    def seal(self, plaintext: bytes, context: str) -> bytes:
        aad = _value_aad_v2(_context_bytes(context))
        data_key = self._data_key
        if data_key is None or self._count >= self._limit:
            data_key = self._new_data_key()
        self._count += 1
        nonce = os.urandom(_NONCE_BYTES)
        return self._wrap + nonce + data_key.encrypt(nonce, plaintext, aad)

    def seal_text(self, text: str, context: str) -> bytes:
        return self.seal(text.encode("utf-8"), context)

    def seal_json(self, value: object, context: str) -> bytes:
        """Seal a JSON-serialisable value in the canonical encoding of `Vault.seal_json`."""
        return self.seal_text(_canonical_json(value), context)

    def _new_data_key(self) -> AESGCM:
        data_key = AESGCM.generate_key(bit_length=256)
        self._wrap = self._vault._wrap(FORMAT_V2, data_key, _SHARED_WRAP_AAD)
        self._data_key = AESGCM(data_key)
        self._count = 0
        return self._data_key


def _decrypt(aead: AESGCM, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
    try:
        return aead.decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        pass
    # Raised outside the handler, like every SealedDataError, so no exception rides along.
    raise SealedDataError(_NOT_AUTHENTIC)


def _canonical_json(value: object) -> str:
    return _CANONICAL_JSON.encode(value)


# `json.dumps` with these arguments makes an encoder each call; one made once writes the same text.
_CANONICAL_JSON: Final = json.JSONEncoder(
    separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False
)


def _value_aad_v2(context: bytes) -> bytes:
    return bytes((FORMAT_V2,)) + context


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
    if format_byte not in (FORMAT_V1, FORMAT_V2):
        raise SealedDataError(f"the sealed value has unknown format {format_byte}")
    return _Envelope(
        format=format_byte,
        version=version,
        wrap=bytes(sealed[:_WRAP_END]),
        data=bytes(sealed[_WRAP_END:]),
    )

"""Key material for personal data, kept on disk outside the database (D1, D2).

The keyring is one small JSON file (mode 0600, in a 0700 directory) holding versioned
key-encryption keys (KEKs) and one blind-index key. The database only ever holds ciphertext and
keyed indexes, so a copy of the database alone reveals nothing; destroying a KEK version (or the
whole file) makes everything sealed under it unreadable for good: crypto-shredding.

Nothing here logs, prints or formats key material: messages name versions and paths, never keys.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Final

KEYRING_FILE: Final = "keyring.json"
# Left where the keyring was once it is destroyed (D1): says when, and that it was on purpose.
DESTROYED_FILE: Final = "keyring.destroyed"
FORMAT: Final = 1
KEY_BYTES: Final = 32
# Every sealed value names its KEK version in two bytes.
MAX_KEY_VERSION: Final = 0xFFFF
_LOCK_FILE: Final = ".keyring.lock"


class KeyringError(ValueError):
    """The keyring is missing, malformed, unsafe, or already exists. The message is one line."""


@dataclass(frozen=True, repr=False)
class Keyring:
    """Versioned KEKs (the highest seals new data) and the blind-index key, with creation times."""

    keys: dict[int, bytes]
    key_created_at: dict[int, datetime]
    index_key: bytes
    index_key_created_at: datetime

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyringError("the keyring holds no key-encryption key")
        for version, key in self.keys.items():
            if not 1 <= version <= MAX_KEY_VERSION:
                raise KeyringError(f"key version {version} is outside 1..{MAX_KEY_VERSION}")
            if len(key) != KEY_BYTES:
                raise KeyringError(
                    f"key version {version} is {len(key)} bytes, expected {KEY_BYTES}"
                )
        if set(self.key_created_at) != set(self.keys):
            raise KeyringError("every key version needs exactly one creation time")
        if len(self.index_key) != KEY_BYTES:
            raise KeyringError(
                f"the index key is {len(self.index_key)} bytes, expected {KEY_BYTES}"
            )
        for created_at in [*self.key_created_at.values(), self.index_key_created_at]:
            _require_aware(created_at)

    @property
    def active_version(self) -> int:
        return max(self.keys)

    def rotated(self, now: datetime) -> Keyring:
        """A copy with one more KEK version, which becomes the active one; the index key is kept."""
        version = self.active_version + 1
        if version > MAX_KEY_VERSION:
            raise KeyringError(f"no key version left after {MAX_KEY_VERSION}")
        return replace(
            self,
            keys={**self.keys, version: _new_key()},
            key_created_at={**self.key_created_at, version: _require_aware(now)},
        )

    def __repr__(self) -> str:
        versions = ", ".join(str(version) for version in sorted(self.keys))
        return f"Keyring(versions=[{versions}], active={self.active_version}, keys=<hidden>)"


def generate_keyring(now: datetime) -> Keyring:
    """A fresh in-memory keyring: KEK version 1 and an index key, both from the OS CSPRNG."""
    _require_aware(now)
    return Keyring(
        keys={1: _new_key()},
        key_created_at={1: now},
        index_key=_new_key(),
        index_key_created_at=now,
    )


def init_keyring(directory: Path, now: datetime) -> Path:
    """Create `directory/keyring.json`; refuse if one is already there (its keys protect data)."""
    _make_private_directory(directory)
    target = directory / KEYRING_FILE
    if (directory / DESTROYED_FILE).exists():
        # New keys would not bring the destroyed data back; they would only restart a closed system.
        raise KeyringError(f"the keyring in {directory} was destroyed; use a new data directory")
    if target.exists():
        raise KeyringError(f"a keyring already exists at {target}; refusing to overwrite it")
    _write_atomically(target, _encode(generate_keyring(now)), overwrite=False)
    return target


def load_keyring(directory: Path) -> Keyring:
    """Read and check the keyring; refuse one that group or others could read or change."""
    path = directory / KEYRING_FILE
    try:
        file = path.open("rb")
    except FileNotFoundError:
        raise KeyringError(_missing(path)) from None
    except OSError as error:
        raise KeyringError(f"cannot read the keyring {path}: {error.strerror}") from None
    with file:
        # fstat on the open file, so the mode checked is the mode of the bytes read.
        mode = stat.S_IMODE(os.fstat(file.fileno()).st_mode)
        if mode & 0o077:
            raise KeyringError(
                f"the keyring {path} is accessible by group or others (mode {mode:04o}); "
                f"fix it with: chmod 600 {path}"
            )
        raw = file.read()
    try:
        document = json.loads(raw)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError; neither message is useful here
        raise KeyringError(f"the keyring {path} is not valid JSON") from None
    return _decode(document)


def add_key_version(directory: Path, now: datetime) -> int:
    """Append a new KEK version (rotation) and return it: new data is sealed with it, old data
    still opens with the older versions.

    Running processes keep the keyring they loaded; restart them so they can open data sealed under
    the new version. A lock file serialises concurrent rotations, which would otherwise lose one.
    """
    with _locked(directory):
        rotated = load_keyring(directory).rotated(now)
        _write_atomically(directory / KEYRING_FILE, _encode(rotated), overwrite=True)
    return rotated.active_version


def destroy_keyring(directory: Path, now: datetime) -> tuple[int, ...]:
    """Crypto-shredding (D1): overwrite the keyring with random bytes, remove it, and leave a note
    saying when; returns the KEK versions destroyed (the index key goes with them).

    Every sealed value and keyed index in the database, and in every copy or backup of it, becomes
    noise. Overwriting in place is best effort: a copy-on-write or flash file system may keep the
    old blocks, and a backup of this directory must be destroyed by whoever holds it.
    """
    _require_aware(now)
    with _locked(directory):
        versions = tuple(sorted(load_keyring(directory).keys))
        # Temporary files of an interrupted write hold keys too.
        for path in [directory / KEYRING_FILE, *directory.glob(f".{KEYRING_FILE}.*.tmp")]:
            _overwrite(path)
            path.unlink()
        note = {"destroyed_at": now.isoformat(), "key_versions": list(versions)}
        _write_atomically(directory / DESTROYED_FILE, json.dumps(note).encode(), overwrite=True)
    return versions


def _overwrite(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.write(secrets.token_bytes(size))
        file.flush()
        os.fsync(file.fileno())


def _missing(path: Path) -> str:
    if (path.parent / DESTROYED_FILE).exists():
        return (
            f"the keyring {path} was destroyed at the end of the epidemic (see {DESTROYED_FILE}): "
            "the personal data it protected cannot be read any more"
        )
    return f"no keyring at {path}; create one with `healthcode keys init`"


def _new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def _require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise KeyringError("key creation times must carry a time zone")
    return moment


def _encode(keyring: Keyring) -> bytes:
    document = {
        "format": FORMAT,
        "keys": [
            {
                "version": version,
                "created_at": keyring.key_created_at[version].isoformat(),
                "key": base64.b64encode(keyring.keys[version]).decode("ascii"),
            }
            for version in sorted(keyring.keys)
        ],
        "index_key": base64.b64encode(keyring.index_key).decode("ascii"),
        "index_key_created_at": keyring.index_key_created_at.isoformat(),
    }
    return json.dumps(document, indent=2).encode("ascii") + b"\n"


def _decode(document: object) -> Keyring:
    if not isinstance(document, dict):
        raise KeyringError("the keyring must be a JSON object")
    if document.get("format") != FORMAT:
        raise KeyringError(f"unsupported keyring format; this version reads format {FORMAT}")
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise KeyringError("the keyring needs a 'keys' list")
    keys: dict[int, bytes] = {}
    created: dict[int, datetime] = {}
    for entry in entries:
        version, key, created_at = _decode_entry(entry)
        if version in keys:
            raise KeyringError(f"key version {version} appears twice in the keyring")
        keys[version], created[version] = key, created_at
    return Keyring(
        keys=keys,
        key_created_at=created,
        index_key=_decode_key(document.get("index_key"), "the index key"),
        index_key_created_at=_decode_time(document.get("index_key_created_at"), "the index key"),
    )


def _decode_entry(entry: object) -> tuple[int, bytes, datetime]:
    if not isinstance(entry, dict):
        raise KeyringError("each entry of 'keys' must be a JSON object")
    version = entry.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise KeyringError("each key needs an integer 'version'")
    what = f"key version {version}"
    return version, _decode_key(entry.get("key"), what), _decode_time(entry.get("created_at"), what)


def _decode_key(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise KeyringError(f"{what} is missing or not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise KeyringError(f"{what} is not valid base64") from None


def _decode_time(value: object, what: str) -> datetime:
    if not isinstance(value, str):
        raise KeyringError(f"{what} has no creation time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise KeyringError(f"{what} has an invalid creation time") from None
    return _require_aware(moment)


def _make_private_directory(directory: Path) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        return
    directory.chmod(0o700)  # mkdir's mode passes through the umask


def _write_atomically(target: Path, content: bytes, *, overwrite: bool) -> None:
    """Write beside the target (O_EXCL, 0600, fsync), move it into place, fsync the directory.

    A new keyring is put in place with link(), which fails if the target appeared meanwhile, so a
    race between two `keys init` can never replace keys that may already protect data.
    """
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        if overwrite:
            os.replace(temporary, target)
        else:
            try:
                os.link(temporary, target)
            except FileExistsError:
                raise KeyringError(
                    f"a keyring already exists at {target}; refusing to overwrite it"
                ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    try:
        descriptor = os.open(directory / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:
        raise KeyringError(
            f"no keyring directory {directory}; create it with `healthcode keys init`"
        ) from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock

"""The end-of-epidemic decisions and the keyring's destruction (D1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders import march
from healthcode.db.schema import metadata
from healthcode.domain.destruction import DELETION_ORDER, KEPT
from healthcode.security.keyring import (
    DESTROYED_FILE,
    KEYRING_FILE,
    KeyringError,
    add_key_version,
    destroy_keyring,
    init_keyring,
    load_keyring,
)


def test_every_table_is_either_destroyed_or_kept_with_a_reason__D1() -> None:
    assert len(set(DELETION_ORDER)) == len(DELETION_ORDER)
    assert not set(DELETION_ORDER) & set(KEPT)
    assert set(DELETION_ORDER) | set(KEPT) == set(metadata.tables)
    assert all(reason.strip() for reason in KEPT.values())


def test_children_are_deleted_before_their_parents__D1() -> None:
    position = {name: index for index, name in enumerate(DELETION_ORDER)}
    for name, table in metadata.tables.items():
        for key in table.foreign_keys:
            parent = key.column.table.name
            if parent == name:
                # appeals.merged_into: merged filings go first (services/destruction/deletion.py)
                continue
            if name in position:
                assert parent not in position or position[parent] > position[name], (name, parent)
            else:
                assert parent not in position, f"kept {name} points at destroyed {parent}"


def test_the_keyring_is_overwritten_removed_and_remembered_as_destroyed__D1(
    tmp_path: Path,
) -> None:
    keys = tmp_path / "keys"
    init_keyring(keys, march(1))
    add_key_version(keys, march(2))
    original = (keys / KEYRING_FILE).read_bytes()
    leftover = keys / f".{KEYRING_FILE}.0123456789abcdef.tmp"  # an interrupted write
    leftover.write_bytes(original)
    assert destroy_keyring(keys, march(30)) == (1, 2)
    assert not (keys / KEYRING_FILE).exists()
    assert not leftover.exists()
    note = json.loads((keys / DESTROYED_FILE).read_text())
    assert note == {"destroyed_at": march(30).isoformat(), "key_versions": [1, 2]}
    with pytest.raises(KeyringError, match="destroyed at the end of the epidemic"):
        load_keyring(keys)
    with pytest.raises(KeyringError, match="destroyed"):
        init_keyring(keys, march(31))
    with pytest.raises(KeyringError, match="destroyed"):
        destroy_keyring(keys, march(31))  # nothing left to destroy, and it says so

"""Personal-data protection: envelope encryption, key versions, blind indexes, keys on disk."""

import base64
import hashlib
import json
import stat
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import march, resident_id
from healthcode.security import (
    Keyring,
    KeyringError,
    SealedDataError,
    Vault,
    add_key_version,
    audit_pseudonym,
    generate_keyring,
    init_keyring,
    load_keyring,
    new_person_id,
    sealed_key_version,
)
from healthcode.security.vault import OPENED_KEYS, VALUES_PER_DATA_KEY, Sealer

NOW = march(20)
KEYRING = generate_keyring(NOW)
VAULT = Vault(KEYRING)
CONTEXT = "person:1f0c6a52-3c1e-4b7e-9a51-0f0e2d7c9b11:name"
# Bytes 0..62 are the header and the wrapped data key; the value's nonce and ciphertext follow.
DATA_START = 63


def without_version(keyring: Keyring, version: int) -> Keyring:
    keys = {v: key for v, key in keyring.keys.items() if v != version}
    created = {v: when for v, when in keyring.key_created_at.items() if v != version}
    return replace(keyring, keys=keys, key_created_at=created)


def keyring_document(directory: Path) -> dict[str, object]:
    document: dict[str, object] = json.loads((directory / "keyring.json").read_text())
    return document


@given(plaintext=st.binary(max_size=4096))
def test_seal_open_round_trip_for_any_bytes__D2(plaintext: bytes) -> None:
    sealed = VAULT.seal(plaintext, CONTEXT)
    assert VAULT.open(sealed, CONTEXT) == plaintext
    assert len(sealed) == 91 + len(plaintext)


@given(text=st.text())
def test_seal_open_round_trip_for_any_text__D2(text: str) -> None:
    assert VAULT.open_text(VAULT.seal_text(text, CONTEXT), CONTEXT) == text


@pytest.mark.parametrize(
    "payload",
    [
        {"test": "nucleic_acid", "result": "positive", "sampled_at": "2021-03-20T08:00:00+08:00"},
        {"symptoms": ["发热", "咳嗽"], "temperature": 38.5, "confirmed": None, "home": False},
        [],
        "张三",
        0,
    ],
)
def test_seal_open_round_trip_for_json__D2(payload: object) -> None:
    assert VAULT.open_json(VAULT.seal_json(payload, CONTEXT), CONTEXT) == payload


def test_same_value_seals_differently_each_time__D2() -> None:
    # A fresh data key and nonce per value: equal names must not show up as equal ciphertexts.
    assert VAULT.seal_text("张三", CONTEXT) != VAULT.seal_text("张三", CONTEXT)


SEALED = VAULT.seal_text("张三丰", CONTEXT)


@given(position=st.integers(0, len(SEALED) - 1), mask=st.integers(1, 255))
def test_flipping_any_byte_fails_to_open__D2(position: int, mask: int) -> None:
    tampered = bytearray(SEALED)
    tampered[position] ^= mask
    with pytest.raises(SealedDataError) as raised:
        VAULT.open_text(bytes(tampered), CONTEXT)
    assert "张" not in str(raised.value)
    assert raised.value.__context__ is None


@pytest.mark.parametrize(
    ("sealed", "message"),
    [
        (b"", "minimum"),
        (SEALED[:90], "minimum"),
        (SEALED[:-1], "does not authenticate"),
        (SEALED + b"\x00", "does not authenticate"),
        (b"\x03" + SEALED[1:], "unknown format 3"),
        (b"\x02" + SEALED[1:], "does not authenticate"),  # a format-1 value relabelled
        (
            SEALED[:DATA_START] + VAULT.seal_text("李四", CONTEXT)[DATA_START:],
            "does not authenticate",
        ),
    ],
    # Named, not shown: the values are random ciphertexts, and ids must be the same in every run.
    ids=["empty", "short", "truncated", "extended", "unknown-format", "other-format", "spliced"],
)
def test_truncated_extended_or_spliced_values_fail_to_open__D2(sealed: bytes, message: str) -> None:
    with pytest.raises(SealedDataError, match=message):
        VAULT.open(sealed, CONTEXT)


@pytest.mark.parametrize(
    "other_context",
    [
        "person:1f0c6a52-3c1e-4b7e-9a51-0f0e2d7c9b11:address",  # another column
        "person:9d1b3a77-0c2f-4e55-8a10-6b7e5f4d3c21:name",  # another row
        "person:1f0c6a52-3c1e-4b7e-9a51-0f0e2d7c9b11:name ",
        "PERSON:1f0c6a52-3c1e-4b7e-9a51-0f0e2d7c9b11:name",
    ],
)
def test_value_moved_to_another_context_fails_to_open__D2(other_context: str) -> None:
    with pytest.raises(SealedDataError, match="another context"):
        VAULT.open(SEALED, other_context)


@pytest.mark.parametrize(
    ("plaintext", "context"),
    [
        ("张三丰", "person:1f0c:name"),
        ("欧阳娜娜", "person:1f0c:name"),
        (resident_id("330106", "19800101", "123"), "person:1f0c:id_number"),
        ("13800138000", "person:1f0c:phone"),
        ("浙江省杭州市西湖区文三路 90 号", "person:1f0c:address"),
    ],
)
def test_sealed_bytes_never_contain_the_plaintext__D2(plaintext: str, context: str) -> None:
    sealed = VAULT.seal_text(plaintext, context)
    for encoding in ["utf-8", "gb18030", "utf-16-le", "utf-16-be"]:
        assert plaintext.encode(encoding) not in sealed


@pytest.mark.parametrize(
    ("sealed", "context"),
    [
        (VAULT.seal(b"\xff\xfe", CONTEXT), CONTEXT),  # opens, but is not UTF-8
        (VAULT.seal_text("330106198001011234", CONTEXT), CONTEXT + "x"),
    ],
    ids=["not-utf8", "other-context"],
)
def test_open_errors_quote_no_plaintext__D2(sealed: bytes, context: str) -> None:
    with pytest.raises(SealedDataError) as raised:
        VAULT.open_text(sealed, context)
    assert not any(part in str(raised.value) for part in ["xff", "\\xff", "3301", "1234"])
    assert raised.value.__context__ is None


def test_open_json_refuses_text_that_is_not_json__D2() -> None:
    with pytest.raises(SealedDataError, match="not JSON") as raised:
        VAULT.open_json(VAULT.seal_text("张三 {", CONTEXT), CONTEXT)
    assert "张三" not in str(raised.value)
    assert raised.value.__context__ is None  # a JSONDecodeError would carry the whole text


@pytest.mark.parametrize("context", [""])
def test_sealing_needs_a_context__D2(context: str) -> None:
    with pytest.raises(ValueError, match="context"):
        VAULT.seal(b"x", context)


def test_value_sealed_under_v1_still_opens_after_rotation__D2(tmp_path: Path) -> None:
    init_keyring(tmp_path / "keys", NOW)
    old = Vault(load_keyring(tmp_path / "keys")).seal_text("张三", CONTEXT)

    assert add_key_version(tmp_path / "keys", march(21)) == 2

    rotated = load_keyring(tmp_path / "keys")
    vault = Vault(rotated)
    assert vault.open_text(old, CONTEXT) == "张三"
    assert sealed_key_version(old) == 1
    assert sealed_key_version(vault.seal_text("李四", CONTEXT)) == 2
    assert rotated.key_created_at == {1: NOW, 2: march(21)}
    assert stat.S_IMODE((tmp_path / "keys" / "keyring.json").stat().st_mode) == 0o600


def test_rewrap_moves_a_value_to_the_active_version_without_touching_it__D2() -> None:
    rotated = KEYRING.rotated(march(21))
    old = VAULT.seal_text("张三", CONTEXT)

    moved = Vault(rotated).rewrap(old, CONTEXT)

    assert (sealed_key_version(old), sealed_key_version(moved)) == (1, 2)
    assert moved[DATA_START:] == old[DATA_START:]
    assert Vault(without_version(rotated, 1)).open_text(moved, CONTEXT) == "张三"
    assert Vault(rotated).rewrap(moved, CONTEXT) == moved
    with pytest.raises(SealedDataError, match="another context"):
        Vault(rotated).rewrap(old, CONTEXT + "x")


# Keyrings that cannot open what VAULT sealed with its key version 1: that version destroyed
# (crypto-shredding, D1), or another installation's keyring; and the refusal each gives.
WITHOUT_THE_KEY = pytest.mark.parametrize(
    ("opening_keyring", "message"),
    [
        (without_version(KEYRING.rotated(march(21)), 1), "key version 1, which this keyring"),
        (generate_keyring(NOW), "does not authenticate"),  # another keyring's v1
    ],
)


@WITHOUT_THE_KEY
def test_destroyed_key_version_cannot_open_its_data__D1(
    opening_keyring: Keyring, message: str
) -> None:
    sealed = VAULT.seal_text("张三", CONTEXT)
    with pytest.raises(SealedDataError, match=message):
        Vault(opening_keyring).open_text(sealed, CONTEXT)


# Format 2 (ADR 0011): the values of a batch share one data key, wrapped once.
OTHER_CONTEXT = "person:9d1b3a77-0c2f-4e55-8a10-6b7e5f4d3c21:name"


def batch(sealer: Sealer, count: int) -> list[bytes]:
    return [sealer.seal_text(f"张三{i}", f"person:{i}:name") for i in range(count)]


@given(plaintext=st.binary(max_size=4096))
def test_batch_sealed_values_round_trip_at_the_size_of_format_1__D2(plaintext: bytes) -> None:
    sealed = VAULT.sealer().seal(plaintext, CONTEXT)
    assert sealed[0] == 2
    assert VAULT.open(sealed, CONTEXT) == plaintext
    assert len(sealed) == 91 + len(plaintext)


@pytest.mark.parametrize(
    "payload", [{"color": "red", "rules": ["R1"], "since": "2021-03-20"}, [], "张三", 0, None]
)
def test_batch_sealed_text_and_json_round_trip__D2(payload: object) -> None:
    sealer = VAULT.sealer()
    assert VAULT.open_json(sealer.seal_json(payload, CONTEXT), CONTEXT) == payload
    assert VAULT.open_text(sealer.seal_text("李四", CONTEXT), CONTEXT) == "李四"
    # The same canonical JSON as format 1: digests and comparisons see the same text.
    assert VAULT.open(sealer.seal_json(payload, CONTEXT), CONTEXT) == VAULT.open(
        VAULT.seal_json(payload, CONTEXT), CONTEXT
    )


def test_a_batch_shares_one_wrap_and_each_value_has_its_own_nonce__D2() -> None:
    values = batch(VAULT.sealer(), 50)
    assert len({value[:DATA_START] for value in values}) == 1
    assert len({value[DATA_START : DATA_START + 12] for value in values}) == 50
    assert values[0][:DATA_START] != VAULT.sealer().seal_text("张三", CONTEXT)[:DATA_START]
    assert [VAULT.open_text(v, f"person:{i}:name") for i, v in enumerate(values)] == [
        f"张三{i}" for i in range(50)
    ]


def test_a_sealer_rolls_over_to_a_new_data_key_at_its_cap__D2() -> None:
    values = batch(VAULT.sealer(values_per_key=3), 7)
    wraps = [value[:DATA_START] for value in values]
    assert wraps[0] == wraps[1] == wraps[2] != wraps[3]
    assert wraps[3] == wraps[4] == wraps[5] != wraps[6]
    assert [VAULT.open_text(v, f"person:{i}:name") for i, v in enumerate(values)] == [
        f"张三{i}" for i in range(7)
    ]
    assert VALUES_PER_DATA_KEY <= 2**32 // 1024  # far under the random-nonce bound
    with pytest.raises(ValueError, match="data key seals"):
        VAULT.sealer(values_per_key=VALUES_PER_DATA_KEY + 1)


@pytest.mark.parametrize(
    "other_context",
    [
        "person:1f0c6a52-3c1e-4b7e-9a51-0f0e2d7c9b11:address",  # another column
        OTHER_CONTEXT,  # another row
        "person:1f0c6a52-3c1e-4b7e-9a51-0f0e2d7c9b11:name ",
    ],
)
def test_batch_sealed_value_moved_to_another_context_fails_to_open__D2(
    other_context: str,
) -> None:
    sealer = VAULT.sealer()
    sealed = sealer.seal_text("张三丰", CONTEXT)
    sealer.seal_text("李四", other_context)  # its neighbour in the batch, under the same key
    with pytest.raises(SealedDataError, match="another context"):
        VAULT.open(sealed, other_context)


def test_values_of_one_batch_swapped_between_rows_fail_to_open__D2() -> None:
    sealer = VAULT.sealer()
    first, second = sealer.seal_text("张三", CONTEXT), sealer.seal_text("李四", OTHER_CONTEXT)
    assert first[:DATA_START] == second[:DATA_START]
    for sealed, context in [(first, OTHER_CONTEXT), (second, CONTEXT)]:
        with pytest.raises(SealedDataError, match="does not authenticate"):
            VAULT.open(sealed, context)


SEALED_V2 = VAULT.sealer().seal_text("张三丰", CONTEXT)


@given(position=st.integers(0, len(SEALED_V2) - 1), mask=st.integers(1, 255))
def test_flipping_any_byte_of_a_batch_sealed_value_fails_to_open__D2(
    position: int, mask: int
) -> None:
    tampered = bytearray(SEALED_V2)
    tampered[position] ^= mask
    # A fresh vault each time: a cached data key must not let a tampered wrap through either.
    for vault in [Vault(KEYRING), VAULT]:
        with pytest.raises(SealedDataError) as raised:
            vault.open_text(bytes(tampered), CONTEXT)
        assert "张" not in str(raised.value)
        assert raised.value.__context__ is None


@pytest.mark.parametrize(
    ("sealed", "message"),
    [
        (SEALED_V2[:90], "minimum"),
        (SEALED_V2[:-1], "does not authenticate"),
        (b"\x01" + SEALED_V2[1:], "does not authenticate"),  # relabelled as format 1
        (SEALED_V2[:DATA_START] + SEALED[DATA_START:], "does not authenticate"),
        (SEALED[:DATA_START] + SEALED_V2[DATA_START:], "does not authenticate"),
        (VAULT.sealer().seal_text("李四", CONTEXT)[:DATA_START] + SEALED_V2[DATA_START:], "not"),
    ],
    ids=["short", "truncated", "relabelled", "v1-value", "v1-wrap", "other-batch-wrap"],
)
def test_spliced_batch_sealed_values_fail_to_open__D2(sealed: bytes, message: str) -> None:
    VAULT.open(SEALED_V2, CONTEXT)  # its data key in the cache: no short cut skips a check
    with pytest.raises(SealedDataError, match=message):
        VAULT.open(sealed, CONTEXT)


def test_formats_1_and_2_are_read_side_by_side__D2() -> None:
    sealer = VAULT.sealer()
    mixed = [VAULT.seal_text("张三", CONTEXT), sealer.seal_text("李四", CONTEXT)]
    mixed += [VAULT.seal_text("王五", CONTEXT), sealer.seal_text("赵六", CONTEXT)]
    assert [value[0] for value in mixed] == [1, 2, 1, 2]
    assert [VAULT.open_text(value, CONTEXT) for value in mixed] == ["张三", "李四", "王五", "赵六"]
    assert [sealed_key_version(value) for value in mixed] == [1, 1, 1, 1]


def test_rewrap_moves_a_batch_to_the_active_version_under_one_new_wrap__D2() -> None:
    rotated = KEYRING.rotated(march(21))
    old = batch(VAULT.sealer(), 5)

    mover = Vault(rotated)
    moved = [mover.rewrap(value, f"person:{i}:name") for i, value in enumerate(old)]

    assert {sealed_key_version(value) for value in moved} == {2}
    assert all(new[DATA_START:] == was[DATA_START:] for new, was in zip(moved, old, strict=True))
    assert len({value[:DATA_START] for value in moved}) == 1  # still one wrap for the batch
    survivor = Vault(without_version(rotated, 1))  # v1 destroyed after the rotation
    assert [survivor.open_text(v, f"person:{i}:name") for i, v in enumerate(moved)] == [
        f"张三{i}" for i in range(5)
    ]
    assert mover.rewrap(moved[0], "person:0:name") == moved[0]
    assert Vault(rotated).rewrap(old[1], "person:1:name")[DATA_START:] == old[1][DATA_START:]


def test_rewrap_refuses_a_tampered_batch_wrap__D2() -> None:
    rotated = Vault(KEYRING.rotated(march(21)))
    for position in [1, 5, 40]:
        tampered = bytearray(SEALED_V2)
        tampered[position] ^= 1
        with pytest.raises(SealedDataError):
            rotated.rewrap(bytes(tampered), CONTEXT)
    tampered = bytearray(VAULT.sealer().seal_text("张三", CONTEXT))
    tampered[40] ^= 1
    with pytest.raises(SealedDataError):
        VAULT.rewrap(bytes(tampered), CONTEXT)  # already under the active version, still checked


@WITHOUT_THE_KEY
def test_destroyed_key_version_cannot_open_its_batches__D1(
    opening_keyring: Keyring, message: str
) -> None:
    values = batch(VAULT.sealer(), 3)
    assert VAULT.open_text(values[0], "person:0:name") == "张三0"  # cached in VAULT, not in others
    shredded = Vault(opening_keyring)
    for i, value in enumerate(values):
        with pytest.raises(SealedDataError, match=message):
            shredded.open_text(value, f"person:{i}:name")


def test_the_opened_key_cache_is_bounded__D2() -> None:
    vault = Vault(KEYRING)
    values = [vault.sealer().seal_text("张三", CONTEXT) for _ in range(OPENED_KEYS + 10)]
    assert all(vault.open_text(value, CONTEXT) == "张三" for value in values)
    assert len(vault._opened._entries) == OPENED_KEYS
    assert vault.open_text(values[0], CONTEXT) == "张三"  # forgotten, unwrapped again


def test_blind_index_is_deterministic_keyed_and_32_bytes__D2() -> None:
    number = resident_id()
    index = VAULT.blind_index("id_number", number)
    assert index == VAULT.blind_index("id_number", number)
    assert len(index) == 32
    assert index != hashlib.sha256(number.encode()).digest()
    assert index != Vault(generate_keyring(NOW)).blind_index("id_number", number)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("id_number", "13800138000"), ("phone", "13800138000")),
        (("id_number", "330106198001011234"), ("id_number", "330106198001011235")),
        (("ab", "c"), ("a", "bc")),
        (("name", ""), ("name", " ")),
    ],
)
def test_blind_index_differs_by_kind_and_value__D2(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    assert VAULT.blind_index(*first) != VAULT.blind_index(*second)


@pytest.mark.parametrize("kind", ["", "a\0", "id\0number"])
def test_blind_index_refuses_a_kind_that_could_collide__D2(kind: str) -> None:
    # The NUL separates kind from value; a kind holding one could mimic another (kind, value) pair.
    with pytest.raises(ValueError, match="NUL"):
        VAULT.blind_index(kind, "b")


def test_audit_pseudonym_names_an_object_without_personal_data__D2() -> None:
    number = resident_id()
    pseudonym = audit_pseudonym(VAULT, "id_number", number)
    assert pseudonym == "id_number:" + VAULT.blind_index("id_number", number).hex()[:16]
    assert pseudonym == audit_pseudonym(VAULT, "id_number", number)
    assert number not in pseudonym


def test_person_ids_are_random_uuid4s__D2() -> None:
    ids = {new_person_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(uuid.UUID(person_id).version == 4 for person_id in ids)


def test_init_keyring_writes_a_private_file_in_a_private_directory__D2(tmp_path: Path) -> None:
    path = init_keyring(tmp_path / "keys", NOW)

    assert path == tmp_path / "keys" / "keyring.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["keyring.json"]  # no temporary left
    document = keyring_document(path.parent)
    assert document["format"] == 1
    assert document["index_key_created_at"] == NOW.isoformat()
    keyring = load_keyring(path.parent)
    assert (keyring.active_version, len(keyring.index_key)) == (1, 32)


def test_init_keyring_refuses_to_overwrite_existing_keys__D1(tmp_path: Path) -> None:
    path = init_keyring(tmp_path, NOW)
    before = path.read_bytes()
    with pytest.raises(KeyringError, match="already exists"):
        init_keyring(tmp_path, march(21))
    assert path.read_bytes() == before


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o602])
def test_keyring_accessible_by_others_is_refused__D2(tmp_path: Path, mode: int) -> None:
    path = init_keyring(tmp_path, NOW)
    path.chmod(mode)
    with pytest.raises(KeyringError, match=f"chmod 600 {path}"):
        load_keyring(tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": 2}, "unsupported keyring format"),
        ({"keys": []}, "no key-encryption key"),
        ({"index_key": base64.b64encode(b"short").decode()}, "5 bytes, expected 32"),
        ({"index_key": "not base64!"}, "not valid base64"),
        ({"index_key_created_at": "2021-03-20T12:00:00"}, "time zone"),
        ({"keys": [{"version": 1, "key": base64.b64encode(bytes(32)).decode()}]}, "creation"),
        ({"keys": [{"version": 0, "created_at": NOW.isoformat(), "key": ""}]}, "outside"),
    ],
)
def test_malformed_keyring_is_refused_in_one_line__D2(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    init_keyring(tmp_path, NOW)
    document = keyring_document(tmp_path) | change
    (tmp_path / "keyring.json").write_text(json.dumps(document))
    with pytest.raises(KeyringError, match=message) as raised:
        load_keyring(tmp_path)
    assert "\n" not in str(raised.value)


def test_missing_keyring_says_how_to_create_one__D2(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="healthcode keys init"):
        load_keyring(tmp_path)
    with pytest.raises(KeyringError, match="healthcode keys init"):
        add_key_version(tmp_path / "absent", NOW)


def test_repr_shows_no_key_material__D2() -> None:
    keyring = KEYRING.rotated(march(21))
    shown = repr(keyring) + str(keyring) + repr(Vault(keyring))
    for key in [*keyring.keys.values(), keyring.index_key]:
        for form in [base64.b64encode(key).decode(), key.hex(), repr(key)[2:-1]]:
            assert form[:12] not in shown
    assert shown.startswith("Keyring(versions=[1, 2], active=2")

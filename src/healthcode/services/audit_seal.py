"""Sealing the audit log (D1, D3): a signed tree head over every entry that can no longer change.

The head is signed with a P-256 key derived from the keyring's index key, like the entries' MAC
key: it lives outside the database, and a verifier re-derives its public half instead of reading
one from the tables it checks (ADR 0007). Each head is kept in `audit_seals` and appended, before
the transaction commits, to a file an operator ships to write-once storage: a head covers only
final entries, so a line whose row did not commit is still true.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from healthcode.db import audit_seals
from healthcode.db.audit_seals import StoredHead
from healthcode.db.audit_verify import HEAD_TYPE
from healthcode.domain.merkle import Frontier, extend
from healthcode.security.vault import Vault
from healthcode.services.runtime import Runtime, UnitOfWork, system_actor
from healthcode.tokens.jwk import key_id, public_jwk
from healthcode.tokens.jws import canonical_json, sign_jws

FORMAT = 1
_SEED = "audit-seal"
# The P-256 group order: the derived scalar must fall in [1, n - 1].
_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def seal_key(vault: Vault) -> ec.EllipticCurvePrivateKey:
    """40 keyed bytes reduced modulo the order: the bias is below 2**-64."""
    seed = vault.blind_index(_SEED, "seal key v1/0") + vault.blind_index(_SEED, "seal key v1/1")
    scalar = int.from_bytes(seed[:40], "big") % (_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def seal_public_jwk(vault: Vault) -> dict[str, str]:
    """What an auditor pins to check shipped heads without the keyring (and the destruction
    report cites, so that heads still verify once the keyring is gone)."""
    return public_jwk(seal_key(vault).public_key())


def seal_audit_log(runtime: Runtime) -> StoredHead | None:
    """Sign a new head if entries became final since the last one; None if there were none."""
    with runtime.unit_of_work(system_actor("audit_sealing")) as uow:
        # Not audited as an entry: it would leave the log forever one entry short of sealed.
        return _seal(uow)


def seal_if_due(runtime: Runtime) -> StoredHead | None:
    """The scheduled round's step: seal once the last head is older than the unsealed window."""
    with runtime.engine.connect() as connection:
        last = audit_seals.latest(connection)
    window = runtime.settings.audit_unsealed_window
    if last is not None and runtime.clock.now() - last.sealed_at < window:
        return None
    return seal_audit_log(runtime)


def _seal(uow: UnitOfWork) -> StoredHead | None:
    connection = uow.connection
    audit_seals.lock_sealer(connection)
    previous = audit_seals.latest(connection)
    watermark = audit_seals.final_watermark(connection)
    frontier = previous.frontier if previous is not None else Frontier()
    since = previous.watermark if previous is not None else 0
    for row in audit_seals.new_final_entries(connection, since, watermark):
        frontier = extend(frontier, bytes(row.mac))
    if frontier.size == 0 or (previous is not None and frontier.size == previous.tree_size):
        return None
    head = _signed(uow, frontier, watermark)
    ship(uow.runtime.settings.audit_heads_file, head.document)
    audit_seals.add(connection, head)
    return head


def _signed(uow: UnitOfWork, frontier: Frontier, watermark: int) -> StoredHead:
    root = frontier.root()
    payload = {
        "format": FORMAT,
        "issuer": uow.runtime.settings.issuer,
        "tree_size": frontier.size,
        "root_hash": root.hex(),
        "watermark": watermark,
        "sealed_at": uow.now.isoformat(),
    }
    key = seal_key(uow.runtime.vault)
    document = sign_jws(canonical_json(payload), key, kid=key_id(key.public_key()), typ=HEAD_TYPE)
    return StoredHead(frontier.size, root, watermark, uow.now, frontier, document)


def ship(path: Path, document: dict[str, str]) -> None:
    """One JSON line, flushed to the disk before the head's row commits."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(json.dumps(document, sort_keys=True) + "\n")
        file.flush()
        os.fsync(file.fileno())


def shipped_heads(path: Path) -> Iterator[tuple[str, object]]:
    """The heads of a shipped file, line by line (never the whole file in memory)."""
    with path.open(encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if line.strip():
                yield f"{path.name} line {number}", _parsed(line)


def _parsed(line: str) -> object:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None  # reported by the verifier as a head that does not verify


def head_json(head: StoredHead) -> dict[str, object]:
    return {
        "tree_size": head.tree_size,
        "root_hash": head.root_hash.hex(),
        "watermark": head.watermark,
        "sealed_at": head.sealed_at.isoformat(),
        "document": head.document,
    }

"""Verifying the audit log in one streamed pass: every entry's MAC, every signed head (D1, D3).

Entries are read in sealing order and folded into a Merkle frontier; whenever the count reaches
a signed head's size, the root computed from the entries must equal the signed one. An edit fails
the entry's MAC; a deletion, insertion or reordering before a head, or the truncation of entries
it covers, changes the root or leaves the head larger than the log. Heads come from the database
and, optionally, from the shipped file, which survives a database wiped together with its heads.
What no head covers yet (the unsealed tail) is stated, not judged: it may still be truncated.
"""

from __future__ import annotations

import heapq
import hmac
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import Connection, Row, func, select

from healthcode.db import audit_seals
from healthcode.db.audit import GENESIS, entry_mac, entry_of, sealing_order
from healthcode.db.schema import audit_log
from healthcode.domain.merkle import Frontier, extend
from healthcode.tokens.jws import JwsError, json_payload, verify_jws

HEAD_TYPE = "healthcode-audit-head+json"
PROGRESS_EVERY = 1000


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries: int
    problems: tuple[str, ...]
    heads: int = 0  # signed heads checked (database and file)
    sealed: int = 0  # entries covered by the largest head
    unsealed: int = 0  # entries after it: not yet evident if truncated
    oldest_unsealed_at: datetime | None = None

    @property
    def intact(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True, order=True)
class ClaimedHead:
    """A signed head's claim, and where it came from (for the report)."""

    tree_size: int
    root_hash: bytes = field(compare=False)
    source: str = field(compare=False)


@dataclass(slots=True)
class _Walk:
    problems: list[str] = field(default_factory=list)
    frontier: Frontier = field(default_factory=Frontier)
    previous_legacy: bytes | None = GENESIS
    checked: int = 0
    sealed: int = 0
    mismatched: int = 0
    tail_at: datetime | None = None


def verify(
    connection: Connection,
    key: bytes,
    seal_key: ec.EllipticCurvePublicKey,
    shipped: Iterable[tuple[str, object]] = (),
    on_progress: Callable[[int], None] | None = None,
) -> ChainReport:
    """`shipped` holds (where, document) of heads from the file, in the order they were written."""
    walk = _Walk()
    claims = heapq.merge(
        _database_claims(connection, seal_key, walk.problems),
        _shipped_claims(shipped, seal_key, walk.problems),
    )
    pending = next(claims, None)
    for row in sealing_order(connection):
        _check_entry(walk, key, row)
        walk.frontier = extend(walk.frontier, bytes(row.mac))
        if walk.tail_at is None:
            walk.tail_at = row.at
        while pending is not None and pending.tree_size <= walk.frontier.size:
            _check_claim(walk, pending)
            pending = next(claims, None)
        if on_progress is not None and walk.frontier.size % PROGRESS_EVERY == 0:
            on_progress(PROGRESS_EVERY)
    while pending is not None:
        _check_claim(walk, pending)
        pending = next(claims, None)
    count = walk.frontier.size
    if on_progress is not None:
        on_progress(count % PROGRESS_EVERY)
    return ChainReport(
        entries=count,
        problems=tuple(_summarised(walk)),
        heads=walk.checked,
        sealed=walk.sealed,
        unsealed=count - walk.sealed,
        oldest_unsealed_at=walk.tail_at if count > walk.sealed else None,
    )


def entry_count(connection: Connection) -> int:
    return int(connection.scalar(select(func.count()).select_from(audit_log)) or 0)


def _check_entry(walk: _Walk, key: bytes, row: Row[Any]) -> None:
    legacy = row.prev_hash is not None
    prev = bytes(row.prev_hash) if legacy else None
    if legacy and prev != walk.previous_legacy:
        walk.problems.append(f"entry {row.seq}: does not follow the entry before it")
    walk.previous_legacy = bytes(row.mac) if legacy else None
    if not hmac.compare_digest(entry_mac(key, row.seq, row.at, entry_of(row), prev), row.mac):
        walk.problems.append(f"entry {row.seq}: content does not match its hash (edited)")


def _check_claim(walk: _Walk, claim: ClaimedHead) -> None:
    walk.checked += 1
    size = walk.frontier.size
    if claim.tree_size > size:
        walk.problems.append(
            f"head of {claim.tree_size} entries ({claim.source}): the log holds only {size}"
            " (sealed entries deleted at the end, or the log wiped)"
        )
        return
    walk.tail_at = None
    walk.sealed = max(walk.sealed, size)
    if not hmac.compare_digest(walk.frontier.root(), claim.root_hash):
        walk.mismatched += 1
        if walk.mismatched == 1:
            walk.problems.append(
                f"head of {claim.tree_size} entries ({claim.source}): the entries it covers differ"
                " from those signed (deleted, inserted or reordered)"
            )


def _summarised(walk: _Walk) -> list[str]:
    """After the first head that does not match, the later ones cannot: counted, not listed."""
    if walk.mismatched <= 1:
        return walk.problems
    return [*walk.problems, f"and {walk.mismatched - 1} later heads do not match either"]


def _database_claims(
    connection: Connection, seal_key: ec.EllipticCurvePublicKey, problems: list[str]
) -> Iterator[ClaimedHead]:
    for stored in audit_seals.heads(connection):
        claim = _claim(stored.document, seal_key, "database", problems)
        if claim is None:
            continue
        if (claim.tree_size, claim.root_hash) != (stored.tree_size, stored.root_hash):
            problems.append(f"head of {stored.tree_size} entries (database): not the one signed")
            continue
        yield claim


def _shipped_claims(
    shipped: Iterable[tuple[str, object]], seal_key: ec.EllipticCurvePublicKey, problems: list[str]
) -> Iterator[ClaimedHead]:
    largest = 0
    for where, document in shipped:
        claim = _claim(document, seal_key, where, problems)
        if claim is None:
            continue
        if claim.tree_size < largest:
            problems.append(f"head of {claim.tree_size} entries ({where}): out of order, skipped")
            continue
        largest = claim.tree_size
        yield claim


def _claim(
    document: object, seal_key: ec.EllipticCurvePublicKey, where: str, problems: list[str]
) -> ClaimedHead | None:
    """The head's claim once its signature verifies; a forged or damaged head is a problem."""
    try:
        payload = json_payload(verify_jws(document, seal_key, typ=HEAD_TYPE), "the audit head")
        return ClaimedHead(int(payload["tree_size"]), bytes.fromhex(payload["root_hash"]), where)
    except (JwsError, KeyError, TypeError, ValueError) as error:
        problems.append(f"a head ({where}) does not verify: {error} (forged or damaged)")
        return None

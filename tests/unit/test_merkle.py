"""The incremental tree head equals RFC 6962's recursive definition at every size (D1, D3)."""

from __future__ import annotations

import hashlib

from healthcode.domain.merkle import Frontier, extend, leaf_hash, node_hash


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH as RFC 6962 section 2.1 defines it: split at the largest power of two below n."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    split = 1
    while split * 2 < len(leaves):
        split *= 2
    return node_hash(reference_root(leaves[:split]), reference_root(leaves[split:]))


def test_the_frontier_root_is_the_rfc_6962_tree_head_at_every_size__D3() -> None:
    leaves = [bytes([n]) * 32 for n in range(70)]
    frontier = Frontier()
    assert frontier.root() == reference_root([])
    for count, leaf in enumerate(leaves, start=1):
        frontier = extend(frontier, leaf)
        assert frontier.size == count
        assert frontier.root() == reference_root(leaves[:count])
        assert len(frontier.peaks) == bin(count).count("1")


def test_a_changed_or_moved_leaf_changes_the_head__D3() -> None:
    leaves = [bytes([n]) * 32 for n in range(9)]
    swapped = [leaves[1], leaves[0], *leaves[2:]]
    assert reference_root(leaves) != reference_root(swapped)
    assert reference_root(leaves) != reference_root(leaves[:-1])

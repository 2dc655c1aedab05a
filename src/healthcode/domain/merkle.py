"""A Merkle tree head in the manner of RFC 6962 / RFC 9162 (section 2.1), grown one leaf at a time.

Only the right edge of the tree is kept (one hash per set bit of the size), so a log of any length
is hashed in bounded memory, and a sealing job extends the previous head instead of re-reading the
whole log. Leaves and nodes are hashed with distinct prefixes, so a node can never pass for a leaf.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

_LEAF = b"\x00"
_NODE = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(_NODE + left + right).digest()


@dataclass(frozen=True, slots=True)
class Frontier:
    """The perfect subtrees that make up a tree of `size` leaves, largest (leftmost) first."""

    size: int = 0
    peaks: tuple[bytes, ...] = ()

    def root(self) -> bytes:
        """MTH(D[size]): the empty tree hashes the empty string (RFC 6962, 2.1)."""
        if not self.peaks:
            return hashlib.sha256(b"").digest()
        head = self.peaks[-1]
        for peak in reversed(self.peaks[:-1]):
            head = node_hash(peak, head)
        return head


def extend(frontier: Frontier, data: bytes) -> Frontier:
    """The frontier after one more leaf: equal-sized subtrees merge, as in binary addition."""
    peaks = list(frontier.peaks)
    merged = leaf_hash(data)
    size = frontier.size
    while size & 1:
        merged = node_hash(peaks.pop(), merged)
        size >>= 1
    peaks.append(merged)
    return Frontier(frontier.size + 1, tuple(peaks))

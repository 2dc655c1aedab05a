"""A person's bucket: a stable hash of their id, 0..1023, by which the population is partitioned.

Population jobs (services/population_jobs.py) split the work by bucket ranges, so that each
partition is a contiguous range of an index on (bucket, id) and partitions never overlap. The
bucket is derived from the pseudonymous id alone (never from anything about the person) and is
stored at insert, so a partition's persons are found without hashing anyone again.
"""

from __future__ import annotations

import hashlib
from typing import Final

BUCKETS: Final = 1024  # a power of two: every partition count that divides it splits it evenly


def bucket_of(person_id: str) -> int:
    """The first 16 bits of the MD5 of the id, modulo BUCKETS.

    MD5 because PostgreSQL computes the same value in SQL (`md5()`), which lets a migration backfill
    millions of rows in one statement (`PG_BUCKET_SQL`); it is a spreading hash, not a secret.
    """
    digest = hashlib.md5(person_id.encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[:2], "big") % BUCKETS


# The same value in PostgreSQL, for the backfill of an existing table.
PG_BUCKET_SQL: Final = f"(('x' || substr(md5(id), 1, 4))::bit(16)::int % {BUCKETS})"

"""What the operations gauges read from the database (D3): counts and instants, never a record.

Every query here is bounded: a scrape runs every few seconds while the system is at its busiest,
so a count stops at a cap and the rest go by an index and one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from healthcode.db import audit_seals as seals
from healthcode.db.jobs_store import DONE
from healthcode.db.schema import (
    audit_log,
    evaluation_jobs,
    evaluation_partitions,
    evaluation_queue,
    signing_keys,
    trusted_issuers,
)

# Queue rows are counted up to this many; more reads as this (a backlog either way).
QUEUE_COUNT_CAP = 1_000_000


@dataclass(frozen=True, slots=True)
class Backlog:
    queued_rows: int  # at most QUEUE_COUNT_CAP
    open_partitions: int  # pending or running
    oldest_unfinished_job: datetime | None


def oldest_unsealed_entry(connection: Connection) -> datetime | None:
    """When the first entry no signed head covers yet was written; None: every entry is sealed.

    The first in sealing order, by the (xact, seq) index: in that order entries are written.
    """
    last = seals.latest(connection)
    since = 0 if last is None else last.watermark
    key = seals.order_key(connection)
    at: datetime | None = connection.scalar(
        select(audit_log.c.at)
        .where(key >= since)
        .order_by(audit_log.c.xact, audit_log.c.seq)
        .limit(1)
    )
    return at


def evaluation_backlog(connection: Connection) -> Backlog:
    capped = select(evaluation_queue.c.id).limit(QUEUE_COUNT_CAP).subquery()
    queued = connection.scalar(select(func.count()).select_from(capped)) or 0
    parts = evaluation_partitions.c
    open_partitions = (
        connection.scalar(
            select(func.count()).where(parts.status != DONE).select_from(evaluation_partitions)
        )
        or 0
    )
    oldest = connection.scalar(
        select(func.min(evaluation_jobs.c.created_at)).where(
            evaluation_jobs.c.finished_at.is_(None)
        )
    )
    return Backlog(int(queued), int(open_partitions), oldest)


def newest_active_keys(connection: Connection, issuer: str) -> dict[str, datetime]:
    """Per purpose (code, trust_list), when the newest key that still signs was made."""
    keys = signing_keys.c
    rows = connection.execute(
        select(keys.purpose, func.max(keys.created_at))
        .where((keys.issuer == issuer) & keys.retired_at.is_(None) & keys.revoked_at.is_(None))
        .group_by(keys.purpose)
    )
    return {str(purpose): created for purpose, created in rows}


def held_trust_lists(connection: Connection) -> list[tuple[str, object, object, datetime]]:
    """Each trusted issuer with a list held: issuer, the signed list, its root, when received."""
    issuers = trusted_issuers.c
    rows = connection.execute(
        select(issuers.issuer, issuers.trust_list, issuers.root_jwk, issuers.trust_list_received_at)
        .where(issuers.trust_list.is_not(None))
        .order_by(issuers.issuer)
    )
    return [(row[0], row[1], row[2], row[3]) for row in rows]

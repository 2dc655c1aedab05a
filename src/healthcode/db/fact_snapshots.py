"""Facts in columns, a shard at a time: sealed snapshots and the tail after them (ADR 0013).

A population job reads the facts of a page of persons. Read fact by fact, that is a row, an
AES-GCM open and a `json.loads` for every fact, the larger part of a re-evaluation's time
(bench/README.md). A snapshot holds a shard's facts (a shard is a bucket, db/buckets.py) as the
columns the engine reads (`domain.columnar.frames.KEYED_SCHEMA`), one Arrow IPC stream sealed with
one AES-GCM operation; the facts recorded after it (the tail, ids above its watermark) are read
fact by fact as before and added.

What makes a page right whatever happened to the facts since the snapshot was built: the page's
fact ids are always read from `facts` itself (ids only, no payload, for the part the snapshot
covers). A snapshot row whose fact is gone is left out; a fact at or below the watermark that the
snapshot lacks (one committed late by a transaction that had taken its id earlier) is opened and
read like the tail. The facts stay the record; a snapshot is only ever a faster way to read some
of them, and can be dropped at any time (`drop`).
"""

from __future__ import annotations

import io
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import polars as pl
from sqlalchemy import Connection, Row, case, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite

from healthcode.db.arrays import key_array
from healthcode.db.buckets import bucket_of
from healthcode.db.facts_store import fact_context
from healthcode.db.lookups import any_of
from healthcode.db.schema import fact_snapshots, facts, persons
from healthcode.domain.columnar.frames import (
    KEYED_SCHEMA,
    Population,
    keyed_frame_of_records,
    population_of_keyed,
)
from healthcode.recent import Recent
from healthcode.security.vault import Vault

# A shard's snapshot is rebuilt (by a caller that may: `refresh=True`) once the tail a page reads
# of it is a quarter of what the snapshot gives that page, and at least this many facts: reading
# the tail costs an open a fact, rebuilding costs an open a fact of the whole shard once.
REFRESH_TAIL: Final = 32
# Opened snapshots kept per process, by their random token: a page of 5,000 persons spans about
# 26 buckets at 200,000 persons and part of one at 65 M; a partition reads its buckets in order,
# so what a next page reads again is the bucket the last one ended in.
KEPT_FRAMES: Final = 8


@dataclass(frozen=True, slots=True)
class Watermark:
    shard: int
    through_fact_id: int
    rows: int
    token: str


class FactSnapshotStore:
    def __init__(self, connection: Connection, vault: Vault) -> None:
        self._connection = connection
        self._vault = vault

    def population(
        self, person_ids: Sequence[str], now: datetime, *, refresh: bool = False
    ) -> Population:
        """The facts of `person_ids` in columns, numbered in that order, as
        `population_frame_of_records(records_of(person_ids))` frames them.

        With `refresh`, shards without a snapshot or with a long tail get a new one first (in
        the caller's transaction): population jobs do, a single call never.
        """
        shards = {pid: bucket_of(pid) for pid in person_ids}
        marks = self.watermarks(set(shards.values()))
        if refresh:
            for shard in sorted(set(shards.values()) - set(marks)):
                marks[shard] = self.build(shard, now)
        page = self._page_facts(person_ids, shards, marks)
        if refresh:
            stale = page.stale_shards()
            if stale:
                for shard in stale:
                    marks[shard] = self.build(shard, now)
                page = self._page_facts(person_ids, shards, marks)
        keyed = self._frames([marks[shard] for shard in sorted(page.covered_shards)])
        covered = page.covered
        key = ["person_id", "fact_id"]
        from_snapshots = pl.concat([pl.DataFrame(schema=KEYED_SCHEMA), *keyed]).join(
            covered, on=key
        )
        missing = covered.join(from_snapshots.select(key), on=key, how="anti")
        if missing.height:  # committed late under an id the snapshot had passed: read like the tail
            page.tail.extend(self._rows(missing["fact_id"].to_list()))
        tail = keyed_frame_of_records(self._opened(page.tail))
        return population_of_keyed(pl.concat([from_snapshots, tail]), person_ids)

    def watermarks(self, shards: Iterable[int]) -> dict[int, Watermark]:
        """The stored snapshots of these shards (without their payload)."""
        wanted = sorted(shards)
        if not wanted:
            return {}
        c = fact_snapshots.c
        rows = self._connection.execute(
            select(c.shard, c.through_fact_id, c.rows, c.token).where(c.shard.in_(wanted))
        )
        return {
            row.shard: Watermark(row.shard, row.through_fact_id, row.rows, row.token)
            for row in rows
        }

    def build(self, shard: int, now: datetime) -> Watermark:
        """Read every fact of the shard's persons, store them as the shard's snapshot."""
        query = (
            select(facts.c.id, facts.c.person_id, facts.c.source, facts.c.event_id)
            .add_columns(facts.c.payload_sealed.label("payload"))
            .join(persons, persons.c.id == facts.c.person_id)
            .where(persons.c.bucket == shard)
            .order_by(facts.c.id)
        )
        rows = list(self._connection.execute(query))
        frame = keyed_frame_of_records(self._opened(rows))
        through = max((row.id for row in rows), default=0)
        mark = Watermark(shard, through, frame.height, secrets.token_hex(16))
        buffer = io.BytesIO()
        # The stream format: read back in a third of the time of the file format (about 0.2 ms
        # against 0.6 for a shard of 20 persons, where a page of small shards reads dozens).
        frame.write_ipc_stream(buffer, compression="zstd")
        sealed = self._vault.sealer().seal(buffer.getvalue(), snapshot_context(mark))
        values = {
            "shard": shard,
            "through_fact_id": through,
            "rows": mark.rows,
            "token": mark.token,
            "payload_sealed": sealed,
            "built_at": now,
        }
        # Two jobs over one shard at once (a queue job beside an activation) both build: the
        # later one's snapshot stays, and either is right (see the module's docstring).
        dialect = postgresql if self._connection.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(fact_snapshots).values(values)
        updated = {name: statement.excluded[name] for name in values if name != "shard"}
        self._connection.execute(
            statement.on_conflict_do_update(index_elements=["shard"], set_=updated)
        )
        _FRAMES.put(mark.token, frame)
        return mark

    def drop(self, shards: Iterable[int] | None = None) -> int:
        """Forget snapshots (all, or these shards'); how many. The next job builds them again."""
        statement = delete(fact_snapshots)
        if shards is not None:
            statement = statement.where(fact_snapshots.c.shard.in_(sorted(shards)))
        return self._connection.execute(statement).rowcount

    def _frames(self, marks: Sequence[Watermark]) -> list[pl.DataFrame]:
        """The snapshots' frames: those this process has opened, the others read in one query."""
        frames = {mark.token: _FRAMES.get(mark.token) for mark in marks}
        wanted = {mark.token: mark for mark in marks if frames[mark.token] is None}
        if wanted:
            c = fact_snapshots.c
            rows = self._connection.execute(
                select(c.token, c.payload_sealed).where(c.token.in_(sorted(wanted)))
            )
            # A token no longer there was rebuilt by another job since the watermarks were read:
            # its facts are then counted as missing and read like the tail.
            for token, sealed in rows:
                opened = self._vault.open(sealed, snapshot_context(wanted[token]))
                frame = _read_frame(opened)
                _FRAMES.put(token, frame)
                frames[token] = frame
        return [frame for frame in frames.values() if frame is not None]

    def _page_facts(
        self, person_ids: Sequence[str], shards: dict[str, int], marks: dict[int, Watermark]
    ) -> _Page:
        """Every fact id of the page; payloads only above the lowest watermark involved."""
        through = {pid: marks[s].through_fact_id if s in marks else 0 for pid, s in shards.items()}
        if self._connection.dialect.name == "postgresql":
            return self._page_ids_copied(person_ids, shards, marks, through)
        low = min(through.values(), default=0)
        page = _Page(shards, marks)
        covered: dict[str, list[Any]] = {"person_id": [], "fact_id": []}
        for condition in any_of(self._connection, facts.c.person_id, list(person_ids)):
            rows = self._connection.execute(
                select(facts.c.id, facts.c.person_id, facts.c.source, facts.c.event_id)
                .add_columns(case((facts.c.id > low, facts.c.payload_sealed)).label("payload"))
                .where(condition)
            ).all()  # one fetch: row by row cost as much as the rest of the read
            covered_ids, covered_persons = covered["fact_id"], covered["person_id"]
            for row in rows:
                fact_id, person_id = row[0], row[1]
                if fact_id > through[person_id]:
                    page.tail.append(row)
                else:
                    covered_persons.append(person_id)
                    covered_ids.append(fact_id)
        page.covered = pl.DataFrame(covered, schema=_COVERED)
        return page

    def _page_ids_copied(
        self,
        person_ids: Sequence[str],
        shards: dict[str, int],
        marks: dict[int, Watermark],
        through: dict[str, int],
    ) -> _Page:
        """PostgreSQL: the page's (person id, fact id) pairs as one text value made by the
        server and read into a frame by Polars (no Python object a fact: a row a fact, or COPY's
        message a row, cost 3 µs each), then the tail's rows, with payloads, by their ids."""
        statement = _PAGE_IDS.bindparams(
            key_array(self._connection, "person_ids", list(person_ids), facts.c.person_id.type)
        )
        text_ = self._connection.scalar(statement)  # person ids are UUIDs: nothing to escape
        ids = (
            pl.read_csv(
                text_.encode(), separator="\t", has_header=False, schema=_COVERED, quote_char=None
            )
            if text_
            else pl.DataFrame(schema=_COVERED)
        )
        marks_frame = pl.DataFrame(
            {"person_id": list(through), "through": list(through.values())},
            schema={"person_id": pl.String, "through": pl.Int64},
        )
        split = ids.join(marks_frame, on="person_id", how="left")
        above = pl.col("fact_id") > pl.col("through")
        page = _Page(shards, marks)
        page.covered = split.filter(~above).select(*_COVERED)
        tail_ids = split.filter(above)["fact_id"].to_list()
        if tail_ids:
            page.tail.extend(self._rows(tail_ids))
        return page

    def _rows(self, ids: list[int]) -> list[Row[Any]]:
        rows: list[Row[Any]] = []
        for condition in any_of(self._connection, facts.c.id, ids):
            rows.extend(
                self._connection.execute(
                    select(facts.c.id, facts.c.person_id, facts.c.source, facts.c.event_id)
                    .add_columns(facts.c.payload_sealed.label("payload"))
                    .where(condition)
                )
            )
        return rows

    def _opened(self, rows: Iterable[Row[Any]]) -> Iterable[tuple[str, int, Any]]:
        for row in rows:
            record = self._vault.open_json(row.payload, fact_context(row.source, row.event_id))
            yield row.person_id, row.id, record


_COVERED: Final = {"person_id": pl.String, "fact_id": pl.Int64}
_PAGE_IDS: Final = text(
    "SELECT string_agg(person_id || E'\\t' || id, E'\\n') FROM facts"
    " WHERE person_id = ANY(CAST(:person_ids AS varchar[]))"
)


class _Page:
    """A page's facts as read from `facts`: those a snapshot covers (ids) and the tail (rows)."""

    def __init__(self, shards: dict[str, int], marks: dict[int, Watermark]) -> None:
        self.shards = shards
        self.marks = marks
        self.covered = pl.DataFrame(schema=_COVERED)
        self.tail: list[Row[Any]] = []

    @property
    def covered_shards(self) -> set[int]:
        return {self.shards[pid] for pid in self.covered["person_id"].unique().to_list()}

    def stale_shards(self) -> list[int]:
        covered: defaultdict[int, int] = defaultdict(int)
        tail: defaultdict[int, int] = defaultdict(int)
        counts = self.covered.group_by("person_id").len()
        for pid, count in counts.iter_rows():
            covered[self.shards[pid]] += count
        for row in self.tail:
            tail[self.shards[row.person_id]] += 1
        return sorted(
            shard
            for shard, count in tail.items()
            if shard in self.marks and count >= max(REFRESH_TAIL, covered[shard] // 4)
        )


def _read_frame(payload: bytes) -> pl.DataFrame:
    # Snapshots built before the stream format are Arrow IPC files, which begin with this magic.
    if payload.startswith(_IPC_FILE_MAGIC):
        return pl.read_ipc(io.BytesIO(payload))
    return pl.read_ipc_stream(io.BytesIO(payload))


_IPC_FILE_MAGIC: Final = b"ARROW1"


def snapshot_context(mark: Watermark) -> str:
    # Bound to the shard, the watermark and the build: a snapshot copied onto another shard's
    # row, or an older snapshot of the same shard put back, does not open.
    return f"fact_snapshot:{mark.shard}:{mark.through_fact_id}:{mark.token}"


_FRAMES: Final[Recent[str, pl.DataFrame]] = Recent(KEPT_FRAMES)

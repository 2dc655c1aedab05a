"""Group commit: the audit entries of many reading requests written in one transaction (ADR 0021).

A unit of work that only reads has nothing to commit but its audit entries. Committing them one
request at a time costs a transaction each: on SQLite the one writer lock and an fsync, on
PostgreSQL the round trips and a commit. Here every request that arrives while a batch is being
written waits in a queue; when that batch has committed, the first waiter (the leader) takes the
whole queue and writes it in ONE transaction: one writer lock and one fsync (SQLite), one
transaction id, one statement for the numbers and one multi-row INSERT (PostgreSQL). Nobody is
answered before the commit that holds their entries has returned, so nothing acknowledged is lost.

Leader and followers, no thread of its own: the committer works the same in a web worker and a
command-line process, and there is nothing to start, stop or wait for at exit. When only one
request is waiting it is written at once, as before: batches form only when requests queue.

A batch that fails before its commit was rolled back: if it held several requests, each is
written again alone, so a request whose entry the database refuses (too long, a NUL on
PostgreSQL) fails only itself. A database that cannot be reached, or a commit that failed (it may
or may not have been applied), fails every request of the batch with `AuditNotDurableError`:
none of them is answered as audited, and none is written twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, text
from sqlalchemy.exc import InterfaceError, OperationalError

from healthcode.db.audit import AuditEntry, entry_mac
from healthcode.db.schema import AUDIT_SEQUENCE, audit_log

# Entries of one batch; a longer queue is written in several (11 bound values an entry).
MAX_BATCH_ENTRIES = 500

_XACT_AND_NUMBERS = select(
    text("pg_current_xact_id()::text::bigint"), AUDIT_SEQUENCE.next_value()
).select_from(func.generate_series(1, bindparam("count")))
# The highest number ever handed out: AUTOINCREMENT's own record of it (never reused), or the
# highest in the table if the record is missing.
_SQLITE_LAST_NUMBER = text(
    "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'), 0), "
    "coalesce((SELECT max(seq) FROM audit_log), 0))"
)

_INSERT = insert(audit_log).returning(audit_log.c.seq)
# Work done in the batch's transaction for a request, before the entries: returns a value.
Write = Callable[[Connection], Any]


class AuditNotDurableError(Exception):
    """The batch holding this request's audit entries did not commit: the request must fail.

    The message names no entry and no personal data."""


@dataclass(slots=True)
class _Waiting:
    """One request's share of a batch, and how it ended."""

    entries: Sequence[tuple[AuditEntry, datetime]]
    writes: Sequence[Write]
    done: bool = False
    written: bool = False  # set only once a commit holding this request's entries returned
    failure: BaseException | None = None
    results: list[Any] = field(default_factory=list)


class _RolledBackError(Exception):
    """A statement of the batch failed: the transaction was rolled back, nothing committed."""


class AuditGroupCommitter:
    """One per engine and process: `commit` returns once the entries given are durable."""

    def __init__(self, engine: Engine, key: bytes, max_entries: int = MAX_BATCH_ENTRIES) -> None:
        self._engine = engine
        self._key = key
        self._max_entries = max_entries
        self._changed = threading.Condition()
        self._queue: list[_Waiting] = []
        self._leading = False
        # Batches written and requests in them: for tests and the benchmark to see batching.
        self.batches = 0
        self.requests = 0

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def queued(self) -> int:
        """Requests waiting for the next batch (not the one being written)."""
        with self._changed:
            return len(self._queue)

    @property
    def leading(self) -> bool:
        """Whether a batch is being written now."""
        with self._changed:
            return self._leading

    def commit(
        self, entries: Sequence[tuple[AuditEntry, datetime]], writes: Sequence[Write] = ()
    ) -> list[Any]:
        """Write `entries` (each with its own instant) and run `writes`, in a transaction shared
        with whoever else is waiting; the writes' results once committed. AuditNotDurableError
        if that transaction did not commit."""
        waiting = _Waiting(entries, writes)
        with self._changed:
            self._queue.append(waiting)
            while not waiting.done:
                if self._leading:
                    self._changed.wait()
                    continue
                self._leading = True
                batch = self._take()
                self._changed.release()
                try:
                    self._write_batch(batch)
                finally:
                    self._changed.acquire()
                    self._leading = False
                    for each in batch:
                        each.done = True
                    self._changed.notify_all()
        if not waiting.written:  # failed, or its leader was interrupted before writing it
            raise AuditNotDurableError(
                "the audit log could not be written: nothing was done"
            ) from waiting.failure
        return waiting.results

    def _take(self) -> list[_Waiting]:
        """The queue's head, up to the batch size (always at least one request)."""
        taken, count = 0, 0
        for waiting in self._queue:
            if taken and count + len(waiting.entries) > self._max_entries:
                break
            taken += 1
            count += len(waiting.entries)
        batch, self._queue = self._queue[:taken], self._queue[taken:]
        return batch

    def _write_batch(self, batch: list[_Waiting]) -> None:
        try:
            self._write(batch)
        except _RolledBackError as rolled_back:
            if len(batch) == 1:
                batch[0].failure = rolled_back.__cause__
                return
            for waiting in batch:  # one request's refused entry must not fail the others
                waiting.results.clear()
                try:
                    self._write([waiting])
                except _RolledBackError as alone:
                    waiting.failure = alone.__cause__
                except Exception as error:  # handed to the request that waits
                    waiting.failure = error
        except BaseException as error:
            # Unreachable, or the commit itself failed: it may have been applied, so nothing is
            # written again, and no request of the batch is answered as audited.
            for waiting in batch:
                waiting.failure = error
            if not isinstance(error, Exception):
                raise  # an interrupt: the waiters are released with the failure first

    def _write(self, batch: list[_Waiting]) -> None:
        """One transaction for the batch; _RolledBackError if a statement in it failed."""
        with self._engine.connect() as connection:
            transaction = connection.begin()
            try:
                for waiting in batch:
                    waiting.results.extend(write(connection) for write in waiting.writes)
                rows = [(entry, at) for waiting in batch for entry, at in waiting.entries]
                if rows:
                    self._insert(connection, rows)
            except (OperationalError, InterfaceError):
                transaction.rollback()
                raise  # the database, not the data: every request fails alike
            except Exception as error:
                transaction.rollback()
                raise _RolledBackError from error
            try:
                transaction.commit()
            except BaseException:
                # In an unknown state: never handed to anyone again; the pool opens a new one.
                connection.invalidate()
                raise
        for waiting in batch:
            waiting.written = True
        self.batches += 1
        self.requests += len(batch)

    def _insert(self, connection: Connection, rows: list[tuple[AuditEntry, datetime]]) -> None:
        numbered = _numbers(connection, len(rows))
        # With RETURNING, SQLAlchemy sends the rows as one multi-row INSERT ("insertmanyvalues")
        # from one compiled, cached statement; a VALUES clause built per batch compiles anew.
        connection.execute(
            _INSERT,
            [
                {
                    "seq": seq,
                    "xact": xact,
                    "at": at,
                    "mac": entry_mac(self._key, seq, at, entry),
                    **entry.fields(),
                }
                for (xact, seq), (entry, at) in zip(numbered, rows, strict=True)
            ],
        ).all()


def _numbers(connection: Connection, count: int) -> list[tuple[int, int]]:
    """(xact, seq) for `count` new entries, in one statement."""
    if connection.dialect.name == "postgresql":
        # One transaction id for the batch: sealing orders its entries by number after every
        # entry of an older transaction, exactly as for a unit of work that audits many times.
        drawn = connection.execute(_XACT_AND_NUMBERS, {"count": count}).all()
        return sorted((int(xact), int(seq)) for xact, seq in drawn)
    # SQLite: the transaction began IMMEDIATE, so this process holds the one writer lock and
    # the numbers after the highest ever handed out are its own. An explicit number above it
    # moves AUTOINCREMENT's record on, so they are never handed out again.
    last = int(connection.scalar(_SQLITE_LAST_NUMBER) or 0)
    return [(0, last + offset) for offset in range(1, count + 1)]

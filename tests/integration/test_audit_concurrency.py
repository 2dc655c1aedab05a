"""Four OS processes append to the audit log at once while it is sealed: nothing lost (D1, D3).

This is the case the sealing rule exists for: numbers drawn out of commit order, gaps left by
transactions rolled back, and a sealer running between them. Every committed entry must be in the
log, covered by a head once all transactions have ended, and every head must verify.
"""

from __future__ import annotations

import multiprocessing
from datetime import datetime

import pytest
from sqlalchemy import func, select

from builders import audit_report
from healthcode.db import audit
from healthcode.db.engine import connect
from healthcode.db.schema import audit_log, audit_seals
from healthcode.services.audit_seal import seal_audit_log
from healthcode.services.runtime import Runtime
from integration.test_audit_log import sealed_up_to

PROCESSES = 4
PER_PROCESS = 150
ROLLED_BACK_EVERY = 7  # every 7th transaction rolls back, leaving a gap in the numbers


class _RollBackError(Exception):
    pass


def append_many(url: str, key: bytes, worker: int, at_iso: str) -> int:
    """One process's share; returns how many entries it committed."""
    at = datetime.fromisoformat(at_iso)
    engine = connect(url)
    committed = 0
    for number in range(PER_PROCESS):
        entry = audit.AuditEntry("tester", "system", "test", "code.read", f"code:{worker}:{number}")
        try:
            with engine.begin() as connection:
                audit.append(connection, key, entry, at)
                if number % ROLLED_BACK_EVERY == 0:
                    raise _RollBackError
            committed += 1
        except _RollBackError:
            pass
    engine.dispose()
    return committed


def test_four_processes_append_in_parallel_and_every_entry_verifies__D1_D3(
    runtime: Runtime,
) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: the parallel case is PostgreSQL's")
    url = runtime.settings.database_url
    at = runtime.clock.now().isoformat()
    context = multiprocessing.get_context("spawn")  # no engine or key material copied by fork
    with context.Pool(PROCESSES) as pool:
        pending = pool.starmap_async(
            append_many, [(url, runtime.audit_key, worker, at) for worker in range(PROCESSES)]
        )
        while not pending.ready():
            seal_audit_log(runtime)  # sealing between and during the appends
        committed = sum(pending.get())
    assert committed == PROCESSES * (PER_PROCESS - len(range(0, PER_PROCESS, ROLLED_BACK_EVERY)))
    assert sealed_up_to(runtime, committed).tree_size == committed
    with runtime.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(audit_log)) == committed
        heads = int(connection.scalar(select(func.count()).select_from(audit_seals)) or 0)
    report = audit_report(runtime)
    assert report.problems == ()
    assert (report.entries, report.sealed, report.heads) == (committed, committed, heads)
    assert heads >= 2  # sealed while the processes were still appending, not only afterwards

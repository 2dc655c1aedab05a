"""Reading the audit log (D1, D2): for auditors, and every reading of it is itself audited.

The console page, the API and `healthcode audit verify` read through these use cases, so a
reading leaves the same entry and a verification says the same whichever door it came through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from healthcode.db import audit, audit_seals, audit_verify
from healthcode.db.audit import AuditQuery, LoggedEntry
from healthcode.db.audit_seals import StoredHead
from healthcode.db.audit_verify import ChainReport
from healthcode.domain.timezones import display_instant
from healthcode.services.audit_seal import head_json, seal_key
from healthcode.services.runtime import UnitOfWork

MAX_HEADS = 500


def read_audit_log(uow: UnitOfWork, query: AuditQuery) -> list[LoggedEntry]:
    entries = audit.read(uow.connection, query)
    uow.audit("audit.read", detail=f"entries={len(entries)}")
    return entries


def verify_audit_log(
    uow: UnitOfWork,
    shipped: Iterable[tuple[str, object]] = (),
    on_progress: Callable[[int], None] | None = None,
) -> ChainReport:
    """Every entry's MAC and every signed head, from the database and the `shipped` file."""
    report = audit_verify.verify(
        uow.connection,
        uow.runtime.audit_key,
        seal_key(uow.runtime.vault).public_key(),
        shipped,
        on_progress,
    )
    uow.audit("audit.verify", outcome="ok" if report.intact else "tampered")
    return report


def read_audit_heads(uow: UnitOfWork, limit: int = 50) -> list[StoredHead]:
    """The newest signed heads, for auditors to compare with the copies shipped to WORM storage."""
    found = list(audit_seals.heads(uow.connection, newest_first=True, limit=min(limit, MAX_HEADS)))
    uow.audit("audit.heads", detail=f"heads={len(found)}")
    return found


def verification_json(report: ChainReport, window_seconds: int) -> dict[str, Any]:
    """The report as the CLI's `--json` and the API give it: the first fields as before 0006."""
    return {
        "intact": report.intact,
        "entries": report.entries,
        "problems": list(report.problems),
        "heads": report.heads,
        "sealed": report.sealed,
        "unsealed": report.unsealed,
        "oldest_unsealed_at": display_instant(report.oldest_unsealed_at),
        "unsealed_window_seconds": window_seconds,
    }


def audit_head_json(head: StoredHead) -> dict[str, Any]:
    return {**head_json(head), "sealed_at": display_instant(head.sealed_at)}


def audit_entry_json(logged: LoggedEntry) -> dict[str, Any]:
    """An audit entry as the auditor reads it (names objects by pseudonym only, D2)."""
    return {"seq": logged.seq, "at": display_instant(logged.at), **logged.entry.fields()}

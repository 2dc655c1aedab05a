"""Reading the audit log (D1, D2): for auditors, and every reading of it is itself audited.

The console page and the API read through these two use cases, so a reading leaves the same
entry whichever door it came through.
"""

from __future__ import annotations

from typing import Any

from healthcode.db import audit
from healthcode.db.audit import AuditQuery, ChainReport, LoggedEntry
from healthcode.domain.timezones import display_instant
from healthcode.services.runtime import UnitOfWork


def read_audit_log(uow: UnitOfWork, query: AuditQuery) -> list[LoggedEntry]:
    entries = audit.read(uow.connection, query)
    uow.audit("audit.read", detail=f"entries={len(entries)}")
    return entries


def verify_audit_log(uow: UnitOfWork) -> ChainReport:
    report = audit.verify(uow.connection, uow.runtime.audit_key)
    uow.audit("audit.verify", outcome="ok" if report.intact else "tampered")
    return report


def audit_entry_json(logged: LoggedEntry) -> dict[str, Any]:
    """An audit entry as the auditor reads it (names objects by pseudonym only, D2)."""
    return {"seq": logged.seq, "at": display_instant(logged.at), **logged.entry.fields()}

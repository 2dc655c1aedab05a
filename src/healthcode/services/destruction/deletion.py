"""End of the epidemic (D1): destroy personal data, keep anonymised counts, sign a report.

Which tables go and which stay, and why, is decided table by table in `domain/destruction.py`.
In short, deleted: appeal_events, appeal_overrides, appeals, household_links, resident_accounts,
one_time_codes, sessions, outbox_messages, scans, code_subjects, applications, code_history,
code_states, trip_regions, fact_snapshots, facts, persons, and the exact tallies (code_tallies,
code_moves). Kept: the audit log and its signed heads, staff accounts, department clients,
rulesets, risk areas, severe designations, institutions, venues, scanner devices, signing keys,
trusted issuers.

The order, and why it is the only safe one:
1. Start (one transaction, after sealing the audit log): verify the audit log (its MAC key goes
   with the keyring: this is the last time anyone can), compute the aggregates to keep, make
   sure the trust-list root key exists, and write all of it into a `destruction.start` audit
   entry. A run that crashes half way resumes from that entry: aggregates are never recomputed
   from half-deleted tables.
2. Delete, table by table in foreign-key order, a batch per transaction, walking the primary key
   (a province has tens of millions of rows: one DELETE would hold its locks and undo for hours).
3. Finish (one transaction): sweep what arrived meanwhile, check every table is empty, append
   `destruction.done`, sign the report with the root key (sealed by the vault: it must be signed
   before the keys go), and keep the signed report in a `destruction.report` entry. The report
   cites the signed audit heads before and after, and the public key that verifies every head.
4. Seal the log a last time (the report's own entries), hand the report to the caller to keep (a
   file), then destroy the keyring (crypto-shredding): every copy or backup of the database made
   before becomes noise; the shipped heads still verify under the public key the report cites.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, Row, Table, delete, func, select, tuple_

from healthcode.db import audit, audit_seals
from healthcode.db.schema import appeals, metadata
from healthcode.domain.destruction import DELETION_ORDER, KEPT
from healthcode.security.keyring import destroy_keyring, load_keyring
from healthcode.services.audit_log import verify_audit_log
from healthcode.services.audit_seal import seal_audit_log, seal_public_jwk
from healthcode.services.codes.signing import active_signing_key
from healthcode.services.destruction.aggregates import aggregates
from healthcode.services.runtime import Actor, Runtime, UnitOfWork
from healthcode.tokens.jws import canonical_json, sign_jws, unverified_payload
from healthcode.tokens.keys import KeyPurpose
from healthcode.tokens.trust_lists import TrustListError, verify_signed

# Keys per DELETE: 5,000 × up to 4 key columns stays below SQLite's 32,766 bound parameters.
BATCH: Final = 5000
REPORT_TYPE: Final = "healthcode-destruction-report+json"
FORMAT: Final = 1
NOTICE: Final = "浙江省疫情防控办〔2021〕36号 五(一): 疫情结束后按规定销毁或妥善处置"
_PLAN: Final = "destruction.plan"
_START: Final = "destruction.start"
_DONE: Final = "destruction.done"
_REPORT: Final = "destruction.report"

Json = dict[str, Any]
Step = tuple[Table, ColumnElement[bool] | None]


class DestructionError(Exception):
    """The destruction cannot go on or a report does not verify; the message is one line."""


@dataclass(frozen=True, slots=True)
class DestructionPlan:
    """What a destruction would do now: rows per table to delete, and the aggregates kept."""

    rows: dict[str, int]
    aggregates: Json
    key_versions: tuple[int, ...]

    def as_json(self) -> Json:
        return {
            "will_delete_rows": self.rows,
            "will_keep_tables": KEPT,
            "will_destroy_key_versions": list(self.key_versions),
            "aggregates_kept": self.aggregates,
        }


@dataclass(frozen=True, slots=True)
class DestructionReport:
    document: dict[str, str]  # the JWS, flattened JSON serialization
    payload: Json


def plan_destruction(uow: UnitOfWork, batch: int = BATCH) -> DestructionPlan:
    """The dry run. It opens every fact to count them by type, so it is audited like any read."""
    plan = DestructionPlan(
        row_counts(uow.connection), aggregates(uow, batch), _key_versions(uow.runtime)
    )
    uow.audit(_PLAN, detail=f"rows={sum(plan.rows.values())}")
    return plan


def destroy_personal_data(
    runtime: Runtime,
    actor: Actor,
    keep_report: Callable[[dict[str, str]], None],
    batch: int = BATCH,
) -> DestructionReport:
    """The whole destruction (see the module's docstring); `keep_report` must store the signed
    report durably before it returns: the keys that could sign another are destroyed next."""
    _key_versions(runtime)  # no keyring file to destroy: stop before anything is deleted
    report = _signed_earlier(runtime) or _destroy_rows(runtime, actor, batch)
    seal_audit_log(runtime)  # the report's own entries: the last head this keyring signs
    keep_report(report.document)
    destroy_keyring(runtime.settings.keys_dir, runtime.clock.now())
    return report


def verify_report(document: object, root_public_jwk: object) -> Json:
    """The report's payload once its signature verifies under the issuer's published root key."""
    try:
        return verify_signed(document, root_public_jwk, REPORT_TYPE, "destruction report")
    except TrustListError as error:
        raise DestructionError(str(error)) from None


def row_counts(connection: Connection) -> dict[str, int]:
    return {
        name: int(connection.scalar(select(func.count()).select_from(metadata.tables[name])) or 0)
        for name in DELETION_ORDER
    }


def _destroy_rows(runtime: Runtime, actor: Actor, batch: int) -> DestructionReport:
    start = _start(runtime, actor, batch)
    for table, condition in _steps():
        last: tuple[Any, ...] | None = None
        while True:
            with runtime.engine.begin() as connection:
                keys = _next_keys(connection, table, condition, last, batch)
                _delete_keys(connection, table, keys)
            if len(keys) < batch:
                break
            last = tuple(keys[-1])
    report = _finish(runtime, actor, start, batch)
    _compact(runtime)
    return report


def _compact(runtime: Runtime) -> None:
    """SQLite keeps deleted rows in free pages until the file is rebuilt: rebuild it, so the file
    holds not even the ciphertext of what was deleted. (PostgreSQL: VACUUM FULL, by the DBA.)"""
    if runtime.engine.dialect.name != "sqlite":
        return
    # A raw connection: VACUUM cannot run inside the transaction SQLAlchemy would begin.
    raw = runtime.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("VACUUM")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        raw.close()


def _start(runtime: Runtime, actor: Actor, batch: int) -> Json:
    head = _sealed_head(runtime)
    with runtime.unit_of_work(actor) as uow:
        earlier = _unfinished_start(uow.connection)
        if earlier is not None:
            uow.audit("destruction.resume", detail=f"started_at={earlier['started_at']}")
            return earlier
        chain = verify_audit_log(uow)
        # Created now if this issuer never published lists: its public half stays in signing_keys.
        active_signing_key(uow, KeyPurpose.TRUST_LIST)
        start = {
            "started_at": uow.now.isoformat(),
            "head_before": head,
            "chain_at_start": {"entries": chain.entries, "problems": len(chain.problems)},
            "rows": row_counts(uow.connection),
            "aggregates": aggregates(uow, batch),
        }
        uow.audit(_START, detail=json.dumps(start, ensure_ascii=False, sort_keys=True))
    return start


def _finish(runtime: Runtime, actor: Actor, start: Json, batch: int) -> DestructionReport:
    head_after = _sealed_head(runtime)
    with runtime.unit_of_work(actor) as uow:
        swept = dict.fromkeys(DELETION_ORDER, 0)
        for table, condition in _steps():
            while keys := _next_keys(uow.connection, table, condition, None, batch):
                swept[table.name] += _delete_keys(uow.connection, table, keys)
        left = [name for name, count in row_counts(uow.connection).items() if count]
        if left:
            raise DestructionError(
                f"rows keep arriving in {', '.join(left)}: stop the web service and the worker"
            )
        deleted = {name: int(start["rows"].get(name, 0)) + swept[name] for name in DELETION_ORDER}
        uow.audit(_DONE, detail=json.dumps({"deleted": deleted}, sort_keys=True))
        payload = _payload(uow, start, deleted, head_after)
        root = active_signing_key(uow, KeyPurpose.TRUST_LIST)
        document = sign_jws(
            canonical_json(payload), root.private_key, kid=root.kid, typ=REPORT_TYPE
        )
        # Kept in the chain too: a report lost on its way to the file can be given again.
        uow.audit(_REPORT, detail=json.dumps(document, sort_keys=True))
    return DestructionReport(document, payload)


def _payload(uow: UnitOfWork, start: Json, deleted: dict[str, int], after: Json) -> Json:
    actor = uow.actor
    return {
        "format": FORMAT,
        "issuer": uow.runtime.settings.issuer,
        "clause": "D1",
        "notice": NOTICE,
        "actor": {"name": actor.name, "role": actor.role, "purpose": actor.purpose},
        "started_at": start["started_at"],
        "completed_at": uow.now.isoformat(),
        "deleted_rows": deleted,
        "kept_tables": KEPT,
        "aggregates": start["aggregates"],
        "audit_chain": {
            "before": start["head_before"],
            "after": after,
            "verified_at_start": start["chain_at_start"],
            "seal_key": seal_public_jwk(uow.runtime.vault),
        },
        "keyring": {
            "key_versions_destroyed": list(_key_versions(uow.runtime)),
            "index_key_destroyed": True,
            "when": "after this report is signed and kept",
        },
    }


def _signed_earlier(runtime: Runtime) -> DestructionReport | None:
    """A report signed by a run that died before it destroyed the keys: given again, not redone."""
    with runtime.engine.connect() as connection:
        report, started = _latest(connection, _REPORT), _latest(connection, _START)
    if report is None or (started is not None and started.seq > report.seq):
        return None
    document = json.loads(report.entry.detail or "{}")
    return DestructionReport(document, json.loads(unverified_payload(document)))


def _unfinished_start(connection: Connection) -> Json | None:
    started, done = _latest(connection, _START), _latest(connection, _DONE)
    if started is None or (done is not None and done.seq > started.seq):
        return None
    return dict(json.loads(started.entry.detail or "{}"))


def _latest(connection: Connection, action: str) -> audit.LoggedEntry | None:
    found = audit.read(connection, audit.AuditQuery(action=action, limit=1))
    return found[0] if found else None


def _sealed_head(runtime: Runtime) -> Json:
    """Seal what is final, then the newest signed head: what the report cites of the log."""
    seal_audit_log(runtime)
    with runtime.engine.connect() as connection:
        head = audit_seals.latest(connection)
    if head is None:
        return {"entries": 0, "root_hash": None, "signed": None}
    return {"entries": head.tree_size, "root_hash": head.root_hash.hex(), "signed": head.document}


def _key_versions(runtime: Runtime) -> tuple[int, ...]:
    return tuple(sorted(load_keyring(runtime.settings.keys_dir).keys))


def _steps() -> list[Step]:
    steps: list[Step] = []
    for name in DELETION_ORDER:
        table = metadata.tables[name]
        if table is appeals:
            # Repeat filings point at their primary, which is never itself merged: they go first.
            steps.append((table, appeals.c.merged_into.is_not(None)))
        steps.append((table, None))
    return steps


def _next_keys(
    connection: Connection,
    table: Table,
    condition: ColumnElement[bool] | None,
    after: tuple[Any, ...] | None,
    batch: int,
) -> list[Row[Any]]:
    """The next `batch` primary keys in key order: each batch starts where the last one ended, on
    the index, instead of scanning past the rows already deleted."""
    key = list(table.primary_key.columns)
    query = select(*key).order_by(*key).limit(batch)
    if condition is not None:
        query = query.where(condition)
    if after is not None:
        query = query.where(tuple_(*key) > tuple_(*after) if len(key) > 1 else key[0] > after[0])
    return list(connection.execute(query))


def _delete_keys(connection: Connection, table: Table, keys: list[Row[Any]]) -> int:
    if not keys:
        return 0
    key = list(table.primary_key.columns)
    if len(key) == 1:
        chosen = key[0].in_([row[0] for row in keys])
    else:
        chosen = tuple_(*key).in_([tuple(row) for row in keys])
    return int(connection.execute(delete(table).where(chosen)).rowcount)

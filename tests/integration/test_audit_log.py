"""The audit log without a global lock (issue #11): every tampering with a sealed entry is caught.

Each tampering is done inside a transaction that the verifier reads and that is then rolled back,
so one log is tampered with in every possible place: every entry edited, every sealed entry
deleted, every neighbouring pair swapped, every truncation of the sealed tail (D1, D3).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import Connection, Executable, delete, func, select, update

from builders import ManualClock, audit_report, operator
from healthcode.db import audit
from healthcode.db.audit_seals import StoredHead
from healthcode.db.audit_seals import latest as latest_head
from healthcode.db.audit_verify import ChainReport, verify
from healthcode.db.schema import audit_log, audit_seals
from healthcode.services.audit_seal import seal_audit_log, seal_if_due, seal_key, shipped_heads
from healthcode.services.runtime import Runtime
from healthcode.services.scheduled_round import run_round
from healthcode.tokens.base64url import b64url_decode, b64url_encode
from healthcode.tokens.jws import canonical_json, sign_jws

SEALED = 8
UNSEALED = 3


def written(runtime: Runtime, count: int) -> None:
    for number in range(count):
        with runtime.unit_of_work(operator("operator", "status_query")) as uow:
            uow.audit("code.read", f"code:{number}", detail=f"n={number}")


def sealed_log(runtime: Runtime) -> None:
    """SEALED entries under a signed head, then UNSEALED more that no head covers yet."""
    written(runtime, SEALED // 2)
    assert sealed_up_to(runtime, SEALED // 2).tree_size == SEALED // 2
    written(runtime, SEALED - SEALED // 2)
    assert sealed_up_to(runtime, SEALED).tree_size == SEALED
    written(runtime, UNSEALED)


def sealed_up_to(runtime: Runtime, size: int) -> StoredHead:
    """Seal until a head covers `size` entries. On a PostgreSQL server shared with other work, any
    transaction open anywhere in the cluster holds the watermark back: that is the rule, so wait."""
    for _ in range(400):
        seal_audit_log(runtime)
        with runtime.engine.connect() as connection:
            head = latest_head(connection)  # this call's head, or one sealed before it
        if head is not None and head.tree_size >= size:
            return head
        time.sleep(0.05)
    raise AssertionError(f"no head covers {size} entries: a transaction stayed open for 20 s")


def tampered(
    runtime: Runtime, tamper: Callable[[Connection], object], shipped: bool = False
) -> ChainReport:
    """The report on the log as `tamper` leaves it; the tampering is rolled back afterwards."""
    public = seal_key(runtime.vault).public_key()
    with runtime.engine.connect() as connection:
        transaction = connection.begin()
        try:
            tamper(connection)
            return verify(connection, runtime.audit_key, public, _heads(runtime, shipped))
        finally:
            transaction.rollback()


def _heads(runtime: Runtime, shipped: bool) -> Iterator[tuple[str, object]]:
    return shipped_heads(runtime.settings.audit_heads_file) if shipped else iter(())


def executing(statement: Executable) -> Callable[[Connection], object]:
    return lambda connection: connection.execute(statement)


def edit(seq: int) -> Executable:
    return update(audit_log).where(audit_log.c.seq == seq).values(actor="someone else")


def seqs(connection: Connection) -> list[int]:
    query = select(audit_log.c.seq).order_by(audit_log.c.xact, audit_log.c.seq)
    return [int(seq) for (seq,) in connection.execute(query)]


def test_an_intact_log_verifies_and_states_its_unsealed_tail__D1(runtime: Runtime) -> None:
    sealed_log(runtime)
    report = audit_report(runtime, shipped_heads(runtime.settings.audit_heads_file))
    assert report.problems == ()
    assert (report.entries, report.sealed, report.unsealed) == (SEALED + UNSEALED, SEALED, 3)
    with runtime.engine.connect() as connection:
        stored = int(connection.scalar(select(func.count()).select_from(audit_seals)) or 0)
    # Each head in the database and the same one in the shipped file; at least two were sealed
    # (more when a busy shared server held the watermark back and a head covered part of a batch).
    assert stored >= 2
    assert report.heads == 2 * stored
    assert report.oldest_unsealed_at == runtime.clock.now()


def test_heads_are_kept_in_the_database_and_shipped_one_json_line_each__D1(
    runtime: Runtime,
) -> None:
    sealed_log(runtime)
    lines = runtime.settings.audit_heads_file.read_text(encoding="utf-8").splitlines()
    with runtime.engine.connect() as connection:
        stored = [row.document for row in connection.execute(select(audit_seals))]
    assert [json.loads(line) for line in lines] == stored
    assert sealed_up_to(runtime, SEALED + UNSEALED).tree_size == SEALED + UNSEALED
    assert seal_audit_log(runtime) is None  # nothing new: no head


def test_every_edited_entry_is_detected__D3(runtime: Runtime) -> None:
    sealed_log(runtime)
    for seq in range(1, SEALED + UNSEALED + 1):
        report = tampered(runtime, executing(edit(seq)))
        assert report.problems[0] == f"entry {seq}: content does not match its hash (edited)"


def test_every_deletion_inside_the_sealed_log_is_detected__D3(runtime: Runtime) -> None:
    sealed_log(runtime)
    for seq in range(1, SEALED + 1):
        report = tampered(runtime, executing(delete(audit_log).where(audit_log.c.seq == seq)))
        assert not report.intact, f"deleting entry {seq} went unnoticed"


def test_every_swap_of_neighbouring_sealed_entries_is_detected__D3(runtime: Runtime) -> None:
    sealed_log(runtime)
    for first in range(1, SEALED):
        report = tampered(runtime, partial(_swap, first=first, second=first + 1))
        assert not report.intact, f"swapping entries {first} and {first + 1} went unnoticed"


def _swap(connection: Connection, first: int, second: int) -> None:
    """Exchange everything but the numbers, MACs included: each MAC then names the wrong number."""
    fields = [column for column in audit_log.columns if column.name != "seq"]
    rows = {
        row.seq: row
        for row in connection.execute(select(audit_log).where(audit_log.c.seq.in_([first, second])))
    }
    for seq, other in ((first, second), (second, first)):
        values = {column.name: getattr(rows[other], column.name) for column in fields}
        connection.execute(update(audit_log).where(audit_log.c.seq == seq).values(**values))


def test_moving_a_sealed_entry_in_the_sealing_order_is_detected__D3(runtime: Runtime) -> None:
    """Its MAC still holds (it covers no transaction id), but the signed root does not."""
    sealed_log(runtime)
    report = tampered(
        runtime, lambda c: c.execute(update(audit_log).where(audit_log.c.seq == 1).values(xact=-1))
    )
    assert report.problems == ()  # moved to where it already was: first
    report = tampered(
        runtime,
        lambda c: c.execute(update(audit_log).where(audit_log.c.seq == 1).values(xact=2**62)),
    )
    assert any("differ from those signed" in problem for problem in report.problems)


def test_every_truncation_of_the_last_sealed_entries_is_detected__D3(runtime: Runtime) -> None:
    sealed_log(runtime)
    for kept in range(SEALED):
        report = tampered(runtime, executing(delete(audit_log).where(audit_log.c.seq > kept)))
        assert any(f"the log holds only {kept}" in problem for problem in report.problems)


def test_a_truncation_with_the_heads_rewound_is_caught_by_the_shipped_file__D3(
    runtime: Runtime,
) -> None:
    """Rewinding the heads with the log passes the database alone; the WORM copy does not."""
    sealed_log(runtime)

    def rewound(connection: Connection) -> None:
        connection.execute(delete(audit_log).where(audit_log.c.seq > SEALED // 2))
        connection.execute(delete(audit_seals).where(audit_seals.c.tree_size > SEALED // 2))

    assert tampered(runtime, rewound).intact
    report = tampered(runtime, rewound, shipped=True)
    assert any(f"holds only {SEALED // 2}" in problem for problem in report.problems)


def test_a_wiped_log_is_caught_by_the_shipped_file__D3(runtime: Runtime) -> None:
    sealed_log(runtime)

    def wiped(connection: Connection) -> None:
        connection.execute(delete(audit_log))
        connection.execute(delete(audit_seals))

    assert tampered(runtime, wiped).entries == 0
    report = tampered(runtime, wiped, shipped=True)
    assert any("the log holds only 0" in problem for problem in report.problems)


def test_a_forged_head_is_detected__D3(runtime: Runtime) -> None:
    sealed_log(runtime)
    report = tampered(runtime, lambda c: c.execute(update(audit_seals).values(root_hash=bytes(32))))
    assert any("not the one signed" in problem for problem in report.problems)
    report = tampered(runtime, lambda c: _replace_documents(c, _unsigned_change))
    assert any("does not verify" in problem for problem in report.problems)
    report = tampered(runtime, lambda c: _replace_documents(c, _signed_by_another_key))
    assert any("does not verify" in problem for problem in report.problems)


def _replace_documents(connection: Connection, change: Callable[[Any], dict[str, str]]) -> None:
    for row in connection.execute(select(audit_seals)).all():
        connection.execute(
            update(audit_seals)
            .where(audit_seals.c.tree_size == row.tree_size)
            .values(document=change(row.document))
        )


def _unsigned_change(document: dict[str, str]) -> dict[str, str]:
    payload = json.loads(_b64(document["payload"]))
    return {**document, "payload": b64url_encode(canonical_json({**payload, "tree_size": 1}))}


def _signed_by_another_key(document: dict[str, str]) -> dict[str, str]:
    payload = json.loads(_b64(document["payload"]))
    forger = ec.generate_private_key(ec.SECP256R1())
    header = json.loads(_b64(document["protected"]))
    return sign_jws(canonical_json(payload), forger, kid=header["kid"], typ=header["typ"])


def _b64(text: str) -> bytes:
    return b64url_decode(text)


def test_a_log_rebuilt_without_the_key_does_not_verify__D3(runtime: Runtime) -> None:
    sealed_log(runtime)
    forged_key = b"\x00" * 32

    def rebuilt(connection: Connection) -> None:
        for row in connection.execute(select(audit_log)).all():
            entry = audit.AuditEntry(row.actor, row.role, row.purpose, "forged", row.object)
            mac = audit.entry_mac(forged_key, row.seq, row.at, entry)
            connection.execute(
                update(audit_log).where(audit_log.c.seq == row.seq).values(action="forged", mac=mac)
            )

    problems = tampered(runtime, rebuilt).problems
    assert sum("does not match its hash" in problem for problem in problems) == SEALED + UNSEALED
    assert any("differ from those signed" in problem for problem in problems)


def test_numbers_are_never_reused_after_a_truncation__D3(runtime: Runtime) -> None:
    written(runtime, 3)
    with runtime.engine.begin() as connection:
        connection.execute(delete(audit_log).where(audit_log.c.seq == 3))
    written(runtime, 1)
    with runtime.engine.connect() as connection:
        assert connection.scalar(select(func.max(audit_log.c.seq))) == 4
        assert seqs(connection) == [1, 2, 4]


def test_the_verifier_reads_a_damaged_shipped_line_as_a_problem__D3(
    runtime: Runtime, tmp_path: Path
) -> None:
    sealed_log(runtime)
    damaged = tmp_path / "heads.jsonl"
    damaged.write_text("not json\n", encoding="utf-8")
    report = audit_report(runtime, shipped_heads(damaged))
    assert any("heads.jsonl line 1" in problem for problem in report.problems)


def test_the_round_seals_once_the_last_head_is_older_than_the_window__D1(
    runtime: Runtime,
) -> None:
    written(runtime, 2)
    run_round(runtime)
    # The round sealed both, or part of them if another transaction on a shared server held the
    # watermark back: then the rest are sealed here.
    sealed_up_to(runtime, 2)
    written(runtime, 2)
    run_round(runtime)  # within the window: no new head, the two entries stay unsealed
    assert audit_report(runtime).unsealed == 2
    clock = runtime.clock
    assert isinstance(clock, ManualClock)
    clock.instant += runtime.settings.audit_unsealed_window
    written(runtime, 1)
    assert seal_if_due_eventually(runtime).tree_size >= 4


def seal_if_due_eventually(runtime: Runtime) -> StoredHead:
    """As `sealed_up_to`: on a shared PostgreSQL server, wait out other open transactions."""
    for _ in range(400):
        head = seal_if_due(runtime)
        if head is not None:
            return head
        time.sleep(0.05)
    raise AssertionError("the round did not seal: a transaction stayed open for 20 s")

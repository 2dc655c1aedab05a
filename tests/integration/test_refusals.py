"""One way to refuse: a use case raises `Refused`; the unit of work keeps what it audited.

A refusal is an answer, so the transaction commits with the refusal's audit entry (D2: refused
attempts are on record); any other exception is a failure and rolls everything back.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from builders import operator, refusal_of
from healthcode.db.schema import audit_log
from healthcode.services.refusals import NOT_FOUND, Refused
from healthcode.services.runtime import Runtime, UnitOfWork


def outcomes(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.engine.connect() as connection:
        rows = connection.execute(
            select(audit_log.c.action, audit_log.c.outcome).order_by(audit_log.c.seq)
        )
        return [(action, outcome) for action, outcome in rows]


def refuse_after_auditing(uow: UnitOfWork) -> None:
    uow.audit("thing.read", outcome="not_found")
    raise Refused(NOT_FOUND)


def test_a_refusal_commits_its_audit_entry__D2(runtime: Runtime) -> None:
    assert refusal_of(runtime, operator(), refuse_after_auditing) == NOT_FOUND
    assert outcomes(runtime) == [("thing.read", "not_found")]


def fail_after_auditing(uow: UnitOfWork) -> None:
    uow.audit("thing.write")
    raise RuntimeError("power cut")


def test_any_other_failure_rolls_back_what_was_audited(runtime: Runtime) -> None:
    with pytest.raises(RuntimeError), runtime.unit_of_work(operator()) as uow:
        fail_after_auditing(uow)
    assert outcomes(runtime) == []

"""Show and verify through reading units of work (ADR 0021): a refresh that reuses the code and a
verification write nothing themselves; their audit entries go through the group committer, and a
request whose entries did not commit is answered 503, never as if it had been audited.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from healthcode.db.engine import READING
from healthcode.db.schema import audit_log
from healthcode.domain.areas import RiskLevel
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.services.checkpoint.venues import register_venue
from healthcode.services.runtime import Actor, Runtime
from web.test_residents import apply_self
from web_builders import Callers

ADMIN = Actor("admin", "system-admin", "venue registration")


def issue_entries(runtime: Runtime, action: str) -> list[Any]:
    with runtime.reader.connect() as connection:
        return list(
            connection.execute(
                select(audit_log.c.detail, audit_log.c.outcome)
                .where(audit_log.c.action == action)
                .order_by(audit_log.c.seq)
            )
        )


@contextmanager
def commits_fail(runtime: Runtime) -> Iterator[None]:
    """Every transaction that writes fails at its commit (a disk gone read-only); reads go on."""

    def fail(connection: Any) -> None:
        if not connection.get_execution_options().get(READING):
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    engines = (runtime.engine, runtime.audit_group.engine)
    for engine in engines:
        event.listen(engine, "commit", fail)
    try:
        yield
    finally:
        for engine in engines:
            event.remove(engine, "commit", fail)


def test_a_refresh_reads_only_and_its_audit_entry_commits_through_the_group__D1(
    client: TestClient, callers: Callers, runtime: Runtime
) -> None:
    headers = callers.resident()
    own = apply_self(client, headers)["person_id"]
    first = client.get(f"/api/v1/codes/{own}", headers=headers)
    grouped = runtime.audit_group.requests
    again = client.get(f"/api/v1/codes/{own}", headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["token"] == first.json()["token"]  # reused: nothing to write
    assert runtime.audit_group.requests == grouped + 1  # its entry, through the group
    assert issue_entries(runtime, "code.issue")[-1].detail.endswith(" reused")


def test_a_refresh_whose_entry_does_not_commit_is_answered_503__D1(
    client: TestClient, callers: Callers, runtime: Runtime
) -> None:
    headers = callers.resident()
    own = apply_self(client, headers)["person_id"]
    assert client.get(f"/api/v1/codes/{own}", headers=headers).status_code == 200
    written = len(issue_entries(runtime, "code.issue"))
    with commits_fail(runtime):
        refused = client.get(f"/api/v1/codes/{own}", headers=headers)
    assert refused.status_code == 503
    assert refused.headers["retry-after"]
    assert refused.json()["error"]["code"] == "service_unavailable"
    assert "token" not in refused.text
    assert len(issue_entries(runtime, "code.issue")) == written  # not answered, not logged
    assert client.get(f"/api/v1/codes/{own}", headers=headers).status_code == 200


def test_a_verification_counts_and_audits_through_the_group__D1_ADR0008(
    client: TestClient, callers: Callers, runtime: Runtime
) -> None:
    with runtime.unit_of_work(ADMIN) as uow:
        register_venue(uow, "mall", "银泰百货", Venue.MALL, "330106", RiskLevel.MEDIUM)
    headers = callers.resident()
    own = apply_self(client, headers)["person_id"]
    token = client.get(f"/api/v1/codes/{own}", headers=headers).json()["token"]
    staff = callers.staff(Role.CHECKPOINT)
    grouped = runtime.audit_group.requests
    answer = client.post("/api/v1/verify", headers=staff, json={"token": token, "venue_id": "mall"})
    assert answer.status_code == 200, answer.text
    # The minute's and the hour's counters together (no Redis here), then the entries.
    assert runtime.audit_group.requests == grouped + 2
    assert [row.outcome for row in issue_entries(runtime, "code.verify")] == [
        answer.json()["decision"]
    ]

"""Ids beyond the database's integer range are refused as input on SQLite and PostgreSQL alike,
and the largest id the range holds is simply not found: never a 500 (D2, issue #11)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from healthcode.domain.roles import Role
from healthcode.services.messages import OutboxSender
from healthcode.services.runtime import Runtime
from healthcode.web import create_app
from healthcode.web.deps import MAX_ROW_ID
from web_builders import Callers


@pytest.fixture
def callers(runtime: Runtime) -> Iterator[Callers]:
    with TestClient(create_app(runtime.settings, runtime, OutboxSender())) as client:
        yield Callers(client, runtime)


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("/api/v1/appeals/{id}", Role.LOCAL_HANDLER),
        ("/console/appeals/{id}", Role.LOCAL_HANDLER),
        ("/api/v1/audit?before={id}", Role.AUDITOR),
    ],
)
def test_ids_past_the_range_are_input_errors_and_the_last_one_is_not_found__D2(
    callers: Callers, path: str, role: Role
) -> None:
    headers = callers.in_role(role)
    beyond = callers.client.get(path.format(id=MAX_ROW_ID + 1), headers=headers)
    assert beyond.status_code == 422, beyond.text
    last = callers.client.get(path.format(id=MAX_ROW_ID), headers=headers)
    assert last.status_code in {200, 404}, last.text

"""Input an attacker controls is bounded before it costs anything (D2, issue #11): request bodies
in bytes, whether declared or chunked, and ids in paths and queries within the database's range."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Message, Scope

from healthcode.domain.roles import Role
from healthcode.web.batches import MAX_BODY_BYTES as MAX_BATCH_BYTES
from healthcode.web.body_limit import MAX_BODY_BYTES
from healthcode.web.deps import MAX_ROW_ID
from web_builders import Callers

SIGN_IN_CODE = "/api/v1/auth/sign-in-code"
CHUNK = 64 * 1024


def test_a_declared_body_over_the_bound_is_refused_before_it_is_read__D2(
    client: TestClient,
) -> None:
    oversized = b'{"phone": "' + b"1" * MAX_BODY_BYTES + b'"}'
    response = client.post(
        SIGN_IN_CODE, content=oversized, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert "1111" not in response.text
    # The refusal is an answer of the app like any other: it carries the security headers.
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_chunked_body_is_refused_as_its_bytes_pass_the_bound__D2(client: TestClient) -> None:
    """No Content-Length: the bytes are counted as they arrive, and reading stops at the bound
    (the 100 MB the sender has are never taken)."""
    sent: list[int] = []

    def hundred_megabytes() -> Iterator[bytes]:
        for _ in range(100 * 1024 * 1024 // CHUNK):
            sent.append(CHUNK)
            yield b"1" * CHUNK

    # A loop of its own, in a thread of its own: the test client's loop and this thread's are
    # left as they were for the tests that follow.
    with ThreadPoolExecutor(1) as thread:
        call = _call_streaming(client, SIGN_IN_CODE, hundred_megabytes())
        status, body = thread.submit(asyncio.run, call).result()
    assert status == 413
    assert b"body_too_large" in body
    assert sum(sent) <= MAX_BODY_BYTES + CHUNK


def test_a_chunked_body_through_the_test_client_is_counted_too__D2(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY_BYTES // CHUNK + 2):
            yield b" " * CHUNK

    response = client.post(
        SIGN_IN_CODE, content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in {name.lower() for name in response.request.headers}
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


def test_a_body_within_the_bound_is_read_as_before__D2(client: TestClient) -> None:
    padded = b'{"phone": "13900000001"' + b" " * (MAX_BODY_BYTES - 64) + b"}"
    response = client.post(
        SIGN_IN_CODE, content=padded, headers={"content-type": "application/json"}
    )
    assert response.status_code == 202, response.text


def test_the_batch_routes_keep_their_own_larger_bound__D2(callers: Callers) -> None:
    """A batch larger than the app's bound is read; one larger than the batch bound is not."""
    department = callers.department("test")
    within = b"[" + b" " * (2 * MAX_BODY_BYTES) + b"]"
    response = callers.client.post(
        "/api/v1/facts",
        content=within,
        headers={**department, "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    over = b"[" + b" " * MAX_BATCH_BYTES + b"]"
    response = callers.client.post(
        "/api/v1/facts", content=over, headers={**department, "content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] in {"body_too_large", "batch_too_large"}


async def _call_streaming(
    client: TestClient, path: str, chunks: Iterator[bytes]
) -> tuple[int, bytes]:
    """The app called as a server would, with a chunked body handed over one piece at a time."""
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    statuses: list[int] = []
    body = bytearray()

    async def receive() -> Message:
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    app: ASGIApp = client.app
    await app(scope, receive, send)
    return statuses[0], bytes(body)


BEYOND = MAX_ROW_ID + 1  # 9223372036854775808: one past a 64-bit row id
APPEAL_ROUTES = (
    ("GET", f"/api/v1/appeals/{BEYOND}", Role.LOCAL_HANDLER, None),
    ("POST", f"/api/v1/appeals/{BEYOND}/answer", Role.HOTLINE_OPERATOR, {"text": "答复"}),
    ("POST", f"/api/v1/appeals/{BEYOND}/rejection", Role.LOCAL_HANDLER, {"reason": "无误"}),
    (
        "POST",
        f"/api/v1/appeals/{BEYOND}/override",
        Role.LOCAL_HANDLER,
        {"colour": "green", "authority": "西湖区", "expires_at": "2021-03-30T00:00:00+08:00"},
    ),
    ("POST", f"/api/v1/appeals/{BEYOND}/override/approval", Role.RULE_APPROVER, None),
    (
        "POST",
        f"/api/v1/appeals/{BEYOND}/retractions",
        Role.LOCAL_HANDLER,
        {"event_id": "e-1", "reason": "录入错误"},
    ),
    (
        "POST",
        f"/api/v1/appeals/{BEYOND}/facts",
        Role.LOCAL_HANDLER,
        {"type": "nucleic_acid_test", "occurred_at": "2021-03-20T08:00:00+08:00"},
    ),
    ("GET", f"/api/v1/audit?before={BEYOND}", Role.AUDITOR, None),
    ("GET", f"/api/v1/rulesets/activations/{BEYOND}", Role.RULE_APPROVER, None),
    ("GET", f"/api/v1/area-jobs/{BEYOND}", Role.RULE_APPROVER, None),
    ("GET", f"/console/appeals/{BEYOND}", Role.LOCAL_HANDLER, None),
    ("GET", f"/console/audit?before={BEYOND}", Role.AUDITOR, None),
    ("GET", f"/appeal/someone?filed={BEYOND}", Role.RESIDENT, None),
)


@pytest.mark.parametrize(("method", "path", "role", "body"), APPEAL_ROUTES)
def test_an_id_beyond_the_database_range_is_refused_as_input__D2(
    callers: Callers, method: str, path: str, role: Role, body: object
) -> None:
    response = callers.client.request(method, path, headers=callers.in_role(role), json=body)
    assert response.status_code == 422, (path, response.status_code, response.text)
    assert response.json()["error"]["code"] == "invalid_input"


def test_the_largest_row_id_is_simply_not_found__D2(callers: Callers) -> None:
    handler = callers.in_role(Role.LOCAL_HANDLER)
    response = callers.client.get(f"/api/v1/appeals/{MAX_ROW_ID}", headers=handler)
    assert response.status_code == 404, response.text

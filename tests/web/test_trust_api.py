"""Trust lists and the gateway over HTTP (S1): published signed, registered by a security
administrator, received only when they verify under the registered root."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import ManualClock, operator
from codes_builders import ISSUED, signed_list, signing_key, trusted
from healthcode.db.engine import connect
from healthcode.db.migrate import upgrade
from healthcode.db.schema import audit_log
from healthcode.domain.roles import Role
from healthcode.security.keyring import generate_keyring
from healthcode.security.vault import Vault
from healthcode.services.codes.signing import active_signing_key
from healthcode.services.messages import OutboxSender
from healthcode.services.runtime import Runtime
from healthcode.tokens.gateway_lists import verify_gateway_list
from healthcode.tokens.jwk import public_jwk
from healthcode.tokens.keys import KeyPurpose
from healthcode.tokens.trust_lists import verify_trust_list
from healthcode.web import create_app
from web_builders import Callers, Headers, RouteCase, assert_access

ROUTES = [
    RouteCase("GET", "/.well-known/healthcode/trust-list", None),
    RouteCase("GET", "/.well-known/healthcode/gateway-list", None),
    RouteCase(
        "POST",
        "/api/v1/gateway/issuers",
        frozenset({Role.SECURITY_ADMIN}),
        {"issuer": "CN-32", "root_jwk": {}},
    ),
    RouteCase("POST", "/api/v1/gateway/trust-lists", None, {}),
]

JIANGSU_ROOT = signing_key("CN-32")
JIANGSU_CODE_KEY = signing_key("CN-32")


@pytest.mark.parametrize("case", ROUTES, ids=lambda case: f"{case.method} {case.path}")
def test_trust_lists_are_public_and_registration_is_for_security_admins__D2(
    access_callers: Callers, case: RouteCase
) -> None:
    assert_access(access_callers, case)


def own_root(runtime: Runtime) -> dict[str, str]:
    with runtime.unit_of_work(operator("system", "trust_list_publication")) as uow:
        return public_jwk(active_signing_key(uow, KeyPurpose.TRUST_LIST).public_key)


def register_jiangsu(client: TestClient, admin: Headers) -> None:
    body = {"issuer": "CN-32", "root_jwk": public_jwk(JIANGSU_ROOT.public_key)}
    response = client.post("/api/v1/gateway/issuers", headers=admin, json=body)
    assert response.status_code == 201, response.text
    assert response.json()["root_kid"] == JIANGSU_ROOT.kid


def test_the_trust_list_verifies_under_this_issuers_root_and_is_cached_briefly__S1(
    client: TestClient, runtime: Runtime
) -> None:
    response = client.get("/.well-known/healthcode/trust-list")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    listed = verify_trust_list(response.json(), own_root(runtime))
    assert listed.issuer == "CN-33"
    assert {key.purpose for key in listed.keys} == {KeyPurpose.CODE, KeyPurpose.TRUST_LIST}


def test_a_registered_issuers_list_is_received_and_served_in_the_gateway_list__S1(
    callers: Callers, client: TestClient, runtime: Runtime
) -> None:
    register_jiangsu(client, callers.staff(Role.SECURITY_ADMIN))
    document = signed_list(JIANGSU_ROOT, [trusted(JIANGSU_CODE_KEY)])
    received = client.post("/api/v1/gateway/trust-lists", json=document)
    assert received.status_code == 200, received.text
    assert (received.json()["issuer"], received.json()["keys"]) == ("CN-32", 2)
    client.get("/.well-known/healthcode/trust-list")  # this installation now signs codes too
    combined = client.get("/.well-known/healthcode/gateway-list")
    assert combined.headers["cache-control"] == "public, max-age=300"
    gateway = verify_gateway_list(combined.json(), own_root(runtime))
    assert {listed.issuer for listed in gateway.lists} == {"CN-32", "CN-33"}


def test_a_list_that_does_not_verify_is_refused_and_the_refusal_audited__S1(
    callers: Callers, client: TestClient, runtime: Runtime
) -> None:
    forged = signed_list(signing_key("CN-32"), [trusted(JIANGSU_CODE_KEY)])
    unknown_issuer = client.post("/api/v1/gateway/trust-lists", json=forged)
    assert unknown_issuer.status_code == 400
    assert unknown_issuer.json()["error"]["code"] == "trust_list_refused"
    register_jiangsu(client, callers.staff(Role.SECURITY_ADMIN))
    bad_signature = client.post("/api/v1/gateway/trust-lists", json=forged)
    assert bad_signature.status_code == 400
    current = signed_list(JIANGSU_ROOT, [trusted(JIANGSU_CODE_KEY)])
    assert client.post("/api/v1/gateway/trust-lists", json=current).status_code == 200
    older = signed_list(JIANGSU_ROOT, [], issued_at=ISSUED - timedelta(days=1))
    assert client.post("/api/v1/gateway/trust-lists", json=older).status_code == 400
    with runtime.engine.connect() as connection:
        outcomes = connection.execute(
            select(audit_log.c.outcome)
            .where(audit_log.c.action == "trust_list.receive")
            .order_by(audit_log.c.seq)
        ).scalars()
        assert list(outcomes) == ["refused", "refused", "ok", "refused"]


def test_registration_refuses_a_bad_key_or_this_issuer_itself__S1(
    callers: Callers, client: TestClient
) -> None:
    admin = callers.staff(Role.SECURITY_ADMIN)
    bad_key = {"issuer": "CN-32", "root_jwk": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}}
    refused = client.post("/api/v1/gateway/issuers", headers=admin, json=bad_key)
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "invalid_issuer")
    itself = {"issuer": "CN-33", "root_jwk": public_jwk(JIANGSU_ROOT.public_key)}
    assert client.post("/api/v1/gateway/issuers", headers=admin, json=itself).status_code == 422
    not_an_issuer = {"issuer": "Jiangsu", "root_jwk": public_jwk(JIANGSU_ROOT.public_key)}
    invalid = client.post("/api/v1/gateway/issuers", headers=admin, json=not_an_issuer)
    assert (invalid.status_code, invalid.json()["error"]["field"]) == (422, "issuer")


@pytest.fixture
def jiangsu(
    tmp_path: Path, runtime: Runtime, clock: ManualClock
) -> Iterator[tuple[TestClient, Runtime]]:
    """A second installation, issuer CN-32, with its own database and keys, on the same clock."""
    url = f"sqlite:///{tmp_path / 'jiangsu.db'}"
    engine = connect(url)
    upgrade(engine)
    vault = Vault(generate_keyring(clock.now()))
    settings = replace(runtime.settings, issuer="CN-32", database_url=url)
    other = Runtime(settings, engine, vault, clock, vault.blind_index("audit-chain", "jiangsu"))
    with TestClient(create_app(settings, other, OutboxSender())) as client:
        yield client, other
    engine.dispose()


def test_two_installations_exchange_trust_lists_over_http__S1(
    callers: Callers, client: TestClient, runtime: Runtime, jiangsu: tuple[TestClient, Runtime]
) -> None:
    """CN-32 publishes its list; the CN-33 gateway, holding CN-32's root from out of band, takes the
    list as fetched from CN-32's well-known address and serves it on in its combined list."""
    jiangsu_client, jiangsu_runtime = jiangsu
    jiangsu_root = own_root(jiangsu_runtime)
    admin = callers.staff(Role.SECURITY_ADMIN)
    registered = client.post(
        "/api/v1/gateway/issuers", headers=admin, json={"issuer": "CN-32", "root_jwk": jiangsu_root}
    )
    assert registered.status_code == 201, registered.text
    published = jiangsu_client.get("/.well-known/healthcode/trust-list").json()
    assert client.post("/api/v1/gateway/trust-lists", json=published).status_code == 200
    combined = client.get("/.well-known/healthcode/gateway-list").json()
    lists = verify_gateway_list(combined, own_root(runtime)).lists
    (held,) = [listed for listed in lists if listed.issuer == "CN-32"]
    assert held == verify_trust_list(published, jiangsu_root)

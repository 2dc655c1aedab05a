"""Signing in callers of every kind through the real API, for the web tests."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import compile_path

from builders import on_register, operator
from healthcode.db.sessions_store import OutboxStore
from healthcode.domain.certificates import InstitutionKind
from healthcode.domain.facts import Person
from healthcode.domain.identity import IdType, normalise_id_number
from healthcode.domain.roles import Role
from healthcode.security.totp import code_at
from healthcode.services.accounts import create_staff, register_client
from healthcode.services.checkpoint.institutions import register_institution
from healthcode.services.runtime import Runtime

Headers = dict[str, str]
# The scrape credential of the web tests' app (Settings.metrics_token).
METRICS_TOKEN = "scrape-token-for-tests"  # noqa: S105 - a test value, not a secret
SCRAPER: Headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
_numbers = itertools.count(1)
_phones: dict[str, str] = {}  # a resident's Authorization header → the phone they signed in with


class Callers:
    def __init__(self, client: TestClient, runtime: Runtime) -> None:
        self.client = client
        self.runtime = runtime
        self._in_role: dict[Role, Headers] = {}

    def in_role(self, role: Role) -> Headers:
        """One signed-in caller per role, made on first use and reused after."""
        if role not in self._in_role:
            self._in_role[role] = caller_in_role(self, role)
        return self._in_role[role]

    def staff(
        self, *roles: Role, region: str | None = None, institution: str | None = None
    ) -> Headers:
        """A new staff account with `roles`, signed in with its password and TOTP. An
        institution's staff belong to `institution`, by default one registered for them."""
        username = f"staff{next(_numbers)}"
        if Role.INSTITUTION_STAFF in roles and institution is None:
            institution = self.institution()
        with self.runtime.unit_of_work(operator("security-admin")) as uow:
            new = create_staff(uow, username, roles, region, institution=institution)
        response = self.client.post(
            "/api/v1/auth/staff",
            json={
                "username": username,
                "password": new.password,
                "one_time_password": code_at(new.totp_secret, self.runtime.clock.now()),
            },
        )
        assert response.status_code == 200, response.text
        return _bearer(response.json()["access_token"])

    def institution(
        self, kind: InstitutionKind = InstitutionKind.COMMUNITY, name: str = "北山街道社区"
    ) -> str:
        """A registered community (or medical institution); its id."""
        institution_id = f"{kind.value}-{next(_numbers)}"
        with self.runtime.unit_of_work(operator("system-admin", "register")) as uow:
            register_institution(uow, institution_id, name, kind, "330106")
        return institution_id

    def resident(self, phone: str | None = None) -> Headers:
        """A resident signed in with the one-time code the outbox received."""
        phone = phone or f"139{next(_numbers):08d}"
        asked = self.client.post("/api/v1/auth/sign-in-code", json={"phone": phone})
        assert asked.status_code == 202, asked.text
        response = self.client.post(
            "/api/v1/auth/resident", json={"phone": phone, "code": self.last_code(phone)}
        )
        assert response.status_code == 200, response.text
        headers = _bearer(response.json()["access_token"])
        _phones[headers["Authorization"]] = phone
        return headers

    def department(self, *categories: str, purpose: str = "report test results") -> Headers:
        client_id = f"dept{next(_numbers)}"
        with self.runtime.unit_of_work(operator("security-admin")) as uow:
            new = register_client(uow, client_id, "检测机构", "health", categories, purpose)
        response = self.client.post(
            "/api/v1/auth/token", json={"client_id": client_id, "client_secret": new.secret}
        )
        assert response.status_code == 200, response.text
        return _bearer(response.json()["access_token"])

    def last_code(self, phone: str) -> str:
        with self.runtime.unit_of_work(operator()) as uow:
            index = self.runtime.vault.blind_index("phone", phone)
            message = OutboxStore(uow.connection, self.runtime.vault).latest(1, index)[0]
        found = re.search(r"\b(\d{6})\b", message.body)
        assert found is not None
        return found.group(1)


def on_register_as(
    client: TestClient,
    headers: Headers,
    body: dict[str, Any],
    *,
    household: str = "H0001",
    callers_phone: bool = True,
) -> None:
    """Put the person of an application `body` in the population register, in `household`; with
    the phone `headers` signed in with as the phone on record (applying for oneself), or none."""
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    id_type = IdType(body["id_type"])
    person = Person(id_type, normalise_id_number(id_type, body["id_number"]), body["name"])
    phone = _phones[headers["Authorization"]] if callers_phone else None
    with runtime.unit_of_work(operator("department_client", "record the register")) as uow:
        on_register(uow, person, household, phone)


def _bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class RouteCase:
    """One route and the roles that may call it: every other role must be refused (403), and an
    anonymous caller must be asked to sign in (401), unless the route is public."""

    method: str
    path: str
    allowed: frozenset[Role] | None  # None: public
    body: object = None


ALL_ROLES = tuple(Role)


def caller_in_role(callers: Callers, role: Role) -> Headers:
    if role is Role.RESIDENT:
        return callers.resident()
    if role is Role.DEPARTMENT:
        return callers.department("test")
    return callers.staff(role, region="330106" if role is Role.LOCAL_HANDLER else None)


def assert_access(callers: Callers, case: RouteCase) -> None:
    """Allowed roles get past the door (whatever the answer then is); the others are refused."""
    for role in ALL_ROLES:
        response = callers.client.request(
            case.method, case.path, headers=callers.in_role(role), json=case.body
        )
        admitted = case.allowed is None or role in case.allowed
        if admitted:
            assert response.status_code not in {401, 403}, (role, case.path, response.text)
        else:
            assert response.status_code == 403, (role, case.path, response.status_code)
            assert response.json()["error"]["code"] == "forbidden"
    # The sign-ins above left a session cookie in the client: an anonymous caller has none.
    callers.client.cookies.clear()
    anonymous = callers.client.request(case.method, case.path, json=case.body)
    if case.allowed is not None:
        assert anonymous.status_code == 401, (case.path, anonymous.status_code)


@dataclass(frozen=True)
class ServedRoute:
    """A route as the app serves it: its full path, methods and the APIRoute behind it."""

    path: str
    methods: frozenset[str]
    route: APIRoute

    def matches(self, path: str) -> bool:
        return compile_path(self.path)[0].fullmatch(path.split("?", maxsplit=1)[0]) is not None


def served_routes(app: FastAPI) -> list[ServedRoute]:
    """Every API route, however deeply its router was included (FastAPI nests included routers)."""
    served = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path is not None:
            served.append(ServedRoute(context.path, frozenset(context.methods or ()), route))
    return served

"""Every route is in some access table: a route that no test calls in every role fails here (D2).

The tables live beside the behaviour they guard (`ROUTES` in each `tests/web/test_*.py`); this
test only checks that together they leave no route out.
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi.routing import APIRoute

import web
from healthcode.services.runtime import Runtime
from healthcode.web import create_app
from web_builders import RouteCase

# Signing in is how a caller gets a role at all: tests/web/test_sign_in.py covers these routes.
SIGN_IN = {"/api/v1/auth/sign-in-code", "/api/v1/auth/resident", "/api/v1/auth/staff",
           "/api/v1/auth/token", "/api/v1/auth/sign-out", "/api/v1/auth/me",
           "/sign-in", "/console/sign-in", "/dev/outbox"}  # fmt: skip
# FastAPI's own documents, public by design.
DOCUMENTS = {"/openapi.json", "/api/docs", "/api/docs/oauth2-redirect"}


def all_cases() -> list[RouteCase]:
    cases: list[RouteCase] = []
    for module in pkgutil.iter_modules(web.__path__):
        if module.name.startswith("test_"):
            cases.extend(getattr(importlib.import_module(f"web.{module.name}"), "ROUTES", []))
    return cases


def test_every_route_has_an_access_table__D2(runtime: Runtime) -> None:
    cases = all_cases()
    missing = []
    for route in create_app(runtime.settings, runtime).routes:
        if not isinstance(route, APIRoute) or route.path in SIGN_IN | DOCUMENTS:
            continue
        for method in sorted(route.methods or ()):
            covered = any(
                case.method == method and route.path_regex.fullmatch(case.path.split("?")[0])
                for case in cases
            )
            if not covered:
                missing.append(f"{method} {route.path}")
    assert missing == []

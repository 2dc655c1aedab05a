"""Every route is in some access table: a route that no test calls in every role fails here (D2).

The tables live beside the behaviour they guard (`ROUTES` in each `tests/web/test_*.py`); this
test only checks that together they leave no route out.
"""

from __future__ import annotations

import importlib
import pkgutil

import web
from healthcode.services.runtime import Runtime
from healthcode.web import create_app
from web_builders import RouteCase, served_routes

# Signing in is how a caller gets a role at all: tests/web/test_sign_in.py covers these routes.
SIGN_IN = {"/api/v1/auth/sign-in-code", "/api/v1/auth/resident", "/api/v1/auth/staff",
           "/api/v1/auth/token", "/api/v1/auth/sign-out", "/api/v1/auth/me",
           "/sign-in", "/console/sign-in", "/dev/outbox"}  # fmt: skip


def all_cases() -> list[RouteCase]:
    cases: list[RouteCase] = []
    for module in pkgutil.iter_modules(web.__path__):
        if module.name.startswith("test_"):
            cases.extend(getattr(importlib.import_module(f"web.{module.name}"), "ROUTES", []))
    return cases


def test_every_route_has_an_access_table__D2(runtime: Runtime) -> None:
    cases = all_cases()
    missing = []
    for served in served_routes(create_app(runtime.settings, runtime)):
        if served.path in SIGN_IN:
            continue
        for method in sorted(served.methods):
            if not any(case.method == method and served.matches(case.path) for case in cases):
                missing.append(f"{method} {served.path}")
    assert missing == []

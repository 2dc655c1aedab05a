"""Every route declares who may call it (D2); a route without a declaration fails here."""

from __future__ import annotations

from fastapi.routing import APIRoute

from healthcode.services.runtime import Runtime
from healthcode.web import create_app
from healthcode.web.access import declared_access


def test_every_route_declares_who_may_call_it__D2(runtime: Runtime) -> None:
    app = create_app(runtime.settings, runtime)
    undeclared = []
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        declared = [
            access
            for dependency in route.dependant.dependencies
            if (access := declared_access(dependency.call)) is not None
        ]
        if len(declared) != 1 or not declared[0].purpose.strip():
            undeclared.append(f"{sorted(route.methods or ())} {route.path}")
    assert undeclared == []

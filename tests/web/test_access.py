"""Every route declares who may call it (D2); a route without a declaration fails here."""

from __future__ import annotations

from healthcode.services.runtime import Runtime
from healthcode.web import create_app
from healthcode.web.access import declared_access
from web_builders import served_routes

# Fewer than this means the walk over the app's routes broke (FastAPI nests included routers),
# and the test below would pass by looking at nothing.
AT_LEAST = 80


def test_every_route_declares_who_may_call_it__D2(runtime: Runtime) -> None:
    served = served_routes(create_app(runtime.settings, runtime))
    assert len(served) >= AT_LEAST
    undeclared = []
    for each in served:
        declared = [
            access
            for dependency in each.route.dependant.dependencies
            if (access := declared_access(dependency.call)) is not None
        ]
        if len(declared) != 1 or not declared[0].purpose.strip():
            undeclared.append(f"{sorted(each.methods)} {each.path}")
    assert undeclared == []

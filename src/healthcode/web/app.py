"""`create_app(settings)`: the one place the web application is wired (CONVENTIONS 5)."""

from __future__ import annotations

from fastapi import FastAPI

from healthcode.services.foreign import ForeignTrust
from healthcode.services.households.register import RECORDED, PopulationRegister
from healthcode.services.messages import MessageSender, sender_for
from healthcode.services.runtime import Runtime, open_runtime
from healthcode.settings import Settings
from healthcode.web.access import SessionCache
from healthcode.web.batches import BATCH_PATHS
from healthcode.web.batches import MAX_BODY_BYTES as MAX_BATCH_BYTES
from healthcode.web.body_limit import BodyLimitMiddleware
from healthcode.web.errors import install_error_handlers
from healthcode.web.metrics import Metrics, MetricsMiddleware
from healthcode.web.pages import api_docs, checkpoint, console, resident, sign_in
from healthcode.web.rendering import templates
from healthcode.web.routes import (
    admin,
    appeals,
    areas,
    auth,
    bindings,
    certificates,
    dashboard,
    facts,
    foreign,
    foreign_facts,
    health,
    residents,
    rulesets,
    trust,
    venues,
    verification,
)
from healthcode.web.security_headers import SecurityHeadersMiddleware
from healthcode.web.static_files import (
    FINGERPRINTED,
    REVALIDATED,
    STATIC,
    CachedStaticFiles,
    static_root,
)


def create_app(
    settings: Settings,
    runtime: Runtime | None = None,
    sender: MessageSender | None = None,
    register: PopulationRegister | None = None,
) -> FastAPI:
    """The app for `settings`; tests pass a runtime with their own clock and a sender to read.

    A province with a real-name service passes it as `register` (default: the recorded feed).
    """
    runtime = runtime or open_runtime(settings)
    app = FastAPI(
        title="HealthCode 健康码",
        version="1",
        description="省疫情防控办〔2021〕36号: codes from shared facts, verified at checkpoints.",
        docs_url=None,  # served by pages/api_docs.py from our own files (no CDN)
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.settings = settings
    app.state.sender = sender or sender_for(settings.message_sender)
    app.state.register = register or RECORDED
    app.state.sessions = SessionCache()
    app.state.metrics = Metrics(runtime)
    app.state.templates = templates()
    app.state.foreign_trust = ForeignTrust(settings.foreign_trust_dir)
    install_error_handlers(app)
    api = (
        health,
        auth,
        residents,
        bindings,
        appeals,
        facts,
        areas,
        rulesets,
        trust,
        venues,
        verification,
        certificates,
        foreign,
        foreign_facts,
        admin,
    )
    pages = (dashboard, sign_in, resident, console, checkpoint, api_docs)
    for module in (*api, *pages):
        app.include_router(module.router)
    # The fingerprinted names first: `/static/<fingerprint>/…` would otherwise be a plain name.
    app.mount(
        static_root(),
        CachedStaticFiles(directory=STATIC, cache_control=FINGERPRINTED),
        name="static-fingerprinted",
    )
    app.mount(
        "/static", CachedStaticFiles(directory=STATIC, cache_control=REVALIDATED), name="static"
    )
    # Innermost first: the body bound's own 413 still gets the security headers and is counted.
    app.add_middleware(BodyLimitMiddleware, larger=dict.fromkeys(BATCH_PATHS, MAX_BATCH_BYTES))
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    return app

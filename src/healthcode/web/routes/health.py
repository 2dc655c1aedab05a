"""Liveness, readiness, metrics and the trust list's well-known address (SPEC §4)."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from healthcode.domain.text import Bilingual
from healthcode.services.probes import database_reachable, database_ready
from healthcode.services.refusals import NOT_FOUND, Refusal, Refused
from healthcode.web.access import Caller, platform

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz(_: Annotated[Caller, Depends(platform("liveness probe"))]) -> dict[str, str]:
    """Alive: the process answers. Says nothing about the database."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(
    request: Request, _: Annotated[Caller, Depends(platform("readiness probe"))]
) -> dict[str, Any]:
    """Ready: the database answers at the schema's head and the data keys open."""
    runtime = request.app.state.runtime
    if not (database_reachable(runtime) and database_ready(runtime)):
        raise Refused(
            Refusal(
                503,
                "not_ready",
                Bilingual(
                    "服务尚未就绪：数据库不可用或未升级。",
                    "Not ready: database unreachable or not upgraded.",
                ),
            )
        )
    return {"status": "ready", "keys": runtime.vault.active_version}


METRICS_CREDENTIAL = Refusal(
    401,
    "metrics_credential_required",
    Bilingual("需要监控采集凭证。", "A metrics scrape credential is required."),
)


@router.get("/metrics", include_in_schema=False)
def metrics(
    request: Request, _: Annotated[Caller, Depends(platform("metrics scrape"))]
) -> Response:
    """For the platform's scraper only: the bearer token of HEALTHCODE_METRICS_TOKEN; without one
    configured, not served at all (404), as a page that does not exist."""
    expected = request.app.state.settings.metrics_token
    if expected is None:
        raise Refused(NOT_FOUND)
    scheme, _space, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        presented.strip().encode(), expected.encode()
    ):
        raise Refused(METRICS_CREDENTIAL)
    body = generate_latest(request.app.state.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)

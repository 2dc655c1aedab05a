"""Errors in SPEC §4's one shape: `{"error": {"code", "message", "field"?}}`.

A refusal (`services/refusals.py`), raised by a use case or a route, is answered by one handler;
the others answer what FastAPI itself refuses (validation, unknown routes) and what went wrong.

A message never echoes input (it may be personal), a stack trace or SQL. Unexpected failures are
logged with the route and the exception's type only, and answered with a reference-free 500. A
database or shared state that cannot be reached is a 503 with Retry-After: nothing was decided
(a verification then fails closed, never guessing a colour), and the next request tries again.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from healthcode.db.audit_group import AuditNotDurableError
from healthcode.db.shared_state import SharedStateDownError
from healthcode.domain.text import Bilingual
from healthcode.services.refusals import FORBIDDEN, INVALID_INPUT, NOT_FOUND, Refused
from healthcode.web.i18n import LANGUAGES, language
from healthcode.web.rendering import render

log = logging.getLogger("healthcode.web")
TOO_MANY_REQUESTS = 429  # a limit refused the request: counted for the throttling alert


class NotSignedInError(Exception):
    """No valid session: pages send the person to sign in, the API answers 401."""


NOT_SIGNED_IN = Bilingual("请先登录。", "Please sign in first.")
UNAVAILABLE = Bilingual(
    "服务暂时不可用，请稍后再试；核验可凭其他凭证通行。",
    "The service is unavailable for a moment; try again shortly (checkpoints: use other proof).",
)
RETRY_AFTER_SECONDS = "5"
INTERNAL = Bilingual("系统繁忙，请稍后再试。", "Something went wrong on our side; try again later.")
BODY_TOO_LARGE_CODE = "body_too_large"
BODY_TOO_LARGE = Bilingual(
    "提交内容过大，请缩小后重试。", "The request body is too large; send less."
)


def error_body(request: Request, code: str, text: Bilingual, field: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "message": text.en if language(request) == "en" else text.zh,
    }
    if field is not None:
        body["field"] = field
    return {"error": body}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(NotSignedInError, _not_signed_in)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # AuditNotDurableError: the batch holding the request's audit entries did not commit.
    unreachables = (OperationalError, InterfaceError, SharedStateDownError, AuditNotDurableError)
    for unreachable in unreachables:
        app.add_exception_handler(unreachable, _unavailable)
    app.add_exception_handler(Exception, _unexpected)


def _respond(
    request: Request, status: int, code: str, text: Bilingual, field: str | None = None
) -> Response:
    return JSONResponse(error_body(request, code, text, field), status_code=status)


async def _refused(request: Request, error: Exception) -> Response:
    """The one translator of a refusal, whichever use case or route raised it."""
    assert isinstance(error, Refused)  # noqa: S101 - registered for Refused only
    refusal = error.refusal
    if refusal.status == TOO_MANY_REQUESTS:
        route = getattr(request.scope.get("route"), "path", "unmatched")
        request.app.state.metrics.throttled.labels(route, refusal.code).inc()
    if refusal.code == FORBIDDEN.code and _wants_page(request):
        return _forbidden_page(request)
    if refusal.code == NOT_FOUND.code and _wants_page(request):
        return _not_found_page(request)
    response = _respond(request, refusal.status, refusal.code, refusal.text, refusal.field)
    if refusal.retry_after is not None:
        response.headers["Retry-After"] = str(refusal.retry_after)
    return response


def _forbidden_page(request: Request) -> Response:
    """A person who follows a link their roles do not open reads why, in a page, not JSON."""
    return render(request, "console/forbidden.html", status=403, home=_home(request))


def _not_found_page(request: Request) -> Response:
    """A browser that opens an unknown address gets a page in the reader's language; an API
    client (no text/html in Accept, or a path under /api/) still gets SPEC §4's JSON."""
    return render(request, "not_found.html", status=404, home=_home(request))


def _home(request: Request) -> str:
    return "/console" if request.url.path.startswith("/console") else "/"


async def _not_signed_in(request: Request, _error: Exception) -> Response:
    if _wants_page(request):
        return RedirectResponse(_sign_in_location(request), 303)
    return _respond(request, 401, "not_signed_in", NOT_SIGNED_IN)


async def _invalid(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)  # noqa: S101
    problems = error.errors()
    # The location names the field; the value is never echoed (it may be an ID number).
    location = problems[0].get("loc", ()) if problems else ()
    field = ".".join(str(part) for part in location if part not in {"body", "query", "path"})
    return _respond(request, 422, "invalid_input", INVALID_INPUT, field or None)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)  # noqa: S101
    if error.status_code == 404:
        if _wants_page(request):
            return _not_found_page(request)
        return _respond(request, 404, NOT_FOUND.code, NOT_FOUND.text)
    if error.status_code == 405:
        text = Bilingual("不支持该请求方法。", "Method not allowed.")
        return _respond(request, 405, "method_not_allowed", text)
    if error.status_code == 413:  # the body bound (web/body_limit.py)
        return _respond(request, 413, BODY_TOO_LARGE_CODE, BODY_TOO_LARGE)
    return _respond(request, error.status_code, "http_error", INVALID_INPUT)


async def _unavailable(request: Request, error: Exception) -> Response:
    route = getattr(request.scope.get("route"), "path", "?")
    log.warning(
        "dependency unavailable", extra={"route": route, "error_type": type(error).__name__}
    )
    response = _respond(request, 503, "service_unavailable", UNAVAILABLE)
    response.headers["retry-after"] = RETRY_AFTER_SECONDS
    return response


async def _unexpected(request: Request, error: Exception) -> Response:
    route = getattr(request.scope.get("route"), "path", "?")
    log.error("unhandled error", extra={"route": route, "error_type": type(error).__name__})
    return _respond(request, 500, "internal_error", INTERNAL)


def _sign_in_location(request: Request) -> str:
    """The sign-in page, back to where the person was going, in the language they asked for:
    `/console?lang=en` leads to an English sign-in page (which keeps the choice in its cookie)."""
    path = request.url.path
    location = f"{sign_in_page(path)}?next={path}"
    chosen = request.query_params.get("lang")
    return f"{location}&lang={chosen}" if chosen in LANGUAGES else location


def sign_in_page(path: str) -> str:
    """Staff sign in on the console's page; residents on theirs."""
    staff = path.startswith(("/console", "/checkpoint"))
    return "/console/sign-in" if staff else "/sign-in"


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )

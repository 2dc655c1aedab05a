"""Errors in SPEC §4's one shape: `{"error": {"code", "message", "field"?}}`.

A message never echoes input (it may be personal), a stack trace or SQL. Unexpected failures are
logged with the route and the exception's type only, and answered with a reference-free 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from healthcode.domain.text import Bilingual
from healthcode.services.refusals import Refusal
from healthcode.web.i18n import language
from healthcode.web.rendering import render

log = logging.getLogger("healthcode.web")


class ApiError(Exception):
    """A refusal the caller can act on; `code` is stable, `text` is what a person reads."""

    def __init__(self, status: int, code: str, text: Bilingual, field: str | None = None) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.text = text
        self.field = field


class NotSignedInError(Exception):
    """No valid session: pages send the person to sign in, the API answers 401."""


NOT_FOUND = Bilingual("找不到该资源。", "Not found.")
FORBIDDEN = Bilingual("您无权进行此操作。", "You are not allowed to do this.")
NOT_SIGNED_IN = Bilingual("请先登录。", "Please sign in first.")
INVALID = Bilingual("输入有误，请检查后重试。", "The input is not valid; check it and try again.")
INTERNAL = Bilingual("系统繁忙，请稍后再试。", "Something went wrong on our side; try again later.")


def not_found() -> ApiError:
    return ApiError(404, "not_found", NOT_FOUND)


def refused(refusal: Refusal) -> ApiError:
    """A refusal a use case returned (and audited), as the error the caller receives."""
    return ApiError(refusal.status, refusal.code, refusal.text, refusal.field)


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", FORBIDDEN)


def error_body(request: Request, code: str, text: Bilingual, field: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "message": text.en if language(request) == "en" else text.zh,
    }
    if field is not None:
        body["field"] = field
    return {"error": body}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(NotSignedInError, _not_signed_in)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


def _respond(
    request: Request, status: int, code: str, text: Bilingual, field: str | None = None
) -> Response:
    return JSONResponse(error_body(request, code, text, field), status_code=status)


async def _api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)  # noqa: S101 - registered for ApiError only
    if error.code == "forbidden" and _wants_page(request):
        return _forbidden_page(request)
    return _respond(request, error.status, error.code, error.text, error.field)


def _forbidden_page(request: Request) -> Response:
    """A person who follows a link their roles do not open reads why, in a page, not JSON."""
    home = "/console" if request.url.path.startswith("/console") else "/"
    return render(request, "console/forbidden.html", status=403, home=home)


async def _not_signed_in(request: Request, _error: Exception) -> Response:
    if _wants_page(request):
        return RedirectResponse(f"{sign_in_page(request.url.path)}?next={request.url.path}", 303)
    return _respond(request, 401, "not_signed_in", NOT_SIGNED_IN)


async def _invalid(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)  # noqa: S101
    problems = error.errors()
    # The location names the field; the value is never echoed (it may be an ID number).
    location = problems[0].get("loc", ()) if problems else ()
    field = ".".join(str(part) for part in location if part not in {"body", "query", "path"})
    return _respond(request, 422, "invalid_input", INVALID, field or None)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)  # noqa: S101
    if error.status_code == 404:
        return _respond(request, 404, "not_found", NOT_FOUND)
    if error.status_code == 405:
        text = Bilingual("不支持该请求方法。", "Method not allowed.")
        return _respond(request, 405, "method_not_allowed", text)
    return _respond(request, error.status_code, "http_error", INVALID)


async def _unexpected(request: Request, error: Exception) -> Response:
    route = getattr(request.scope.get("route"), "path", "?")
    log.error("unhandled error", extra={"route": route, "error_type": type(error).__name__})
    return _respond(request, 500, "internal_error", INTERNAL)


def sign_in_page(path: str) -> str:
    """Staff sign in on the console's page; residents on theirs."""
    staff = path.startswith(("/console", "/checkpoint"))
    return "/console/sign-in" if staff else "/sign-in"


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )

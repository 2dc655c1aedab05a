"""Signing in and out (issue #5 §3), for residents, staff and department systems."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from healthcode.domain.roles import Role
from healthcode.services.runtime import Runtime
from healthcode.services.sign_in import (
    UNKNOWN_SOURCE,
    SignedIn,
    send_sign_in_code,
    sign_in_client,
    sign_in_resident,
    sign_in_staff,
    sign_out,
)
from healthcode.web.access import SESSION_COOKIE, Caller, allow, bearer_token, public

router = APIRouter(prefix="/api/v1/auth", tags=["authentication"])

Anyone = Annotated[Caller, Depends(public("sign in"))]


class CodeRequest(BaseModel):
    # No lower bound here: an empty number gets its own answer ("enter your mobile number").
    phone: str = Field(max_length=20)


class ResidentSignIn(BaseModel):
    phone: str = Field(min_length=5, max_length=20)
    code: str = Field(min_length=4, max_length=10)


class StaffSignIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    one_time_password: str = Field(min_length=6, max_length=10)


class ClientCredentials(BaseModel):
    client_id: str = Field(min_length=1, max_length=64)
    client_secret: str = Field(min_length=1, max_length=256)


class Session(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2.0 token type, not a secret
    expires_at: datetime
    roles: list[str]


def source_of(request: Request) -> str:
    """The address sign-in failures are counted against: the peer as the ASGI server reports it.

    X-Forwarded-For is never read here: any client can write it. Behind a reverse proxy, uvicorn
    replaces the peer with the proxy's forwarded address only when the connection comes from an
    address in its `--forwarded-allow-ips` (`FORWARDED_ALLOW_IPS`, by default 127.0.0.1 only).
    """
    return request.client.host if request.client is not None else UNKNOWN_SOURCE


@router.post("/sign-in-code", status_code=202)
def ask_for_code(body: CodeRequest, request: Request, caller: Anyone) -> dict[str, str]:
    """Send a one-time sign-in code to a mobile number (through the configured sender)."""
    with _runtime(request).unit_of_work(caller.actor) as uow:
        send_sign_in_code(uow, request.app.state.sender, body.phone)
    return {"status": "sent"}


@router.post("/resident")
def resident(body: ResidentSignIn, request: Request, response: Response, caller: Anyone) -> Session:
    with _runtime(request).unit_of_work(caller.actor) as uow:
        result = sign_in_resident(uow, body.phone, body.code)
    return _session(result, request, response)


@router.post("/staff")
def staff(body: StaffSignIn, request: Request, response: Response, caller: Anyone) -> Session:
    with _runtime(request).unit_of_work(caller.actor) as uow:
        result = sign_in_staff(
            uow, body.username, body.password, body.one_time_password, source_of(request)
        )
    return _session(result, request, response)


@router.post("/token")
def client_token(body: ClientCredentials, request: Request, caller: Anyone) -> Session:
    """Client credentials for department systems: a bearer token for an hour."""
    with _runtime(request).unit_of_work(caller.actor) as uow:
        result = sign_in_client(uow, body.client_id, body.client_secret, source_of(request))
    return _as_session(result)


@router.post("/sign-out", status_code=204)
def leave(
    request: Request,
    caller: Annotated[Caller, Depends(allow(*Role, purpose="sign out"))],
) -> Response:
    token = bearer_token(request)
    if token is not None:
        with _runtime(request).unit_of_work(caller.actor) as uow:
            sign_out(uow, token)
        request.app.state.sessions.forget(_runtime(request), token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me")
def me(
    caller: Annotated[Caller, Depends(allow(*Role, purpose="show who is signed in"))],
) -> dict[str, Any]:
    """Who the session belongs to: kind, roles and region, never a phone or a name."""
    principal = caller.signed_in
    return {
        "kind": principal.kind.value,
        "label": principal.label,
        "roles": sorted(role.value for role in principal.roles),
        "region": principal.region,
    }


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _as_session(signed_in: SignedIn) -> Session:
    roles = sorted(role.value for role in signed_in.principal.roles)
    return Session(
        access_token=signed_in.token, expires_at=signed_in.session.expires_at, roles=roles
    )


def _session(signed_in: SignedIn, request: Request, response: Response) -> Session:
    """Pages use the cookie (HttpOnly; SameSite=Strict: no other site sends it); apps the token."""
    lifetime = signed_in.session.expires_at - signed_in.session.created_at
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return _as_session(signed_in)

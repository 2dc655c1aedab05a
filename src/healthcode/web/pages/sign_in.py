"""Sign-in pages and the demo's outbox (the development message sender's inbox)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from healthcode.domain.timezones import display_instant
from healthcode.services.messages import OutboxSender
from healthcode.services.refusals import NOT_FOUND, Refused
from healthcode.web.access import Caller, public
from healthcode.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/sign-in", response_class=HTMLResponse)
def resident_sign_in(
    request: Request,
    _: Annotated[Caller, Depends(public("resident sign-in page"))],
    next: str = "/",
) -> HTMLResponse:
    outbox = isinstance(request.app.state.sender, OutboxSender)
    return render(request, "sign_in.html", next=next, outbox=outbox)


@router.get("/console/sign-in", response_class=HTMLResponse)
def staff_sign_in(
    request: Request,
    _: Annotated[Caller, Depends(public("staff sign-in page"))],
    next: str = "/console",
) -> HTMLResponse:
    return render(request, "staff_sign_in.html", next=next)


@router.get("/dev/outbox", response_class=HTMLResponse)
def outbox(
    request: Request, caller: Annotated[Caller, Depends(public("development outbox"))]
) -> HTMLResponse:
    """Only with the development sender: in production, messages leave through the SMS gateway."""
    sender = request.app.state.sender
    if not isinstance(sender, OutboxSender):
        raise Refused(NOT_FOUND)
    with request.app.state.runtime.unit_of_work(caller.actor) as uow:
        messages = sender.read(uow)
    shown = [
        {"recipient_masked": m.recipient_masked, "body": m.body, "sent": display_instant(m.sent_at)}
        for m in messages
    ]
    return render(request, "outbox.html", messages=shown)

"""Administration (D1, D2): staff accounts and department clients for security administrators, the
audit log for auditors only.

Secrets (a staff member's password and authenticator secret, a client's secret) are shown once, in
the answer that creates them; only their hashes or sealed forms are kept. Disabling an account ends
its sessions at once. The auditor reads the log, checks it and reads its signed heads; no one
else can.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from healthcode.db.accounts_store import DepartmentClient, StaffAccount
from healthcode.db.audit import AuditQuery
from healthcode.domain.roles import Role
from healthcode.domain.text import Bilingual
from healthcode.domain.timezones import CHINA_TIME, display_instant
from healthcode.security.totp import provisioning_uri
from healthcode.services.accounts import (
    NewClient,
    NewStaff,
    create_staff,
    disable_client,
    disable_staff,
    list_clients,
    list_staff,
    register_client,
)
from healthcode.services.audit_log import (
    audit_entry_json,
    audit_head_json,
    read_audit_heads,
    read_audit_log,
    verification_json,
    verify_audit_log,
)
from healthcode.services.audit_seal import seal_public_jwk
from healthcode.services.refusals import NOT_FOUND, Refusal, Refused
from healthcode.web.access import Caller, SessionCache, allow
from healthcode.web.deps import MAX_ROW_ID, runtime_of, unit_of_work

router = APIRouter(prefix="/api/v1", tags=["administration"])

SecurityAdmin = Annotated[
    Caller, Depends(allow(Role.SECURITY_ADMIN, purpose="manage staff accounts and clients (D2)"))
]
Auditor = Annotated[Caller, Depends(allow(Role.AUDITOR, purpose="audit who did what (D2)"))]

TOTP_ISSUER = "HealthCode"

OWN_ACCOUNT = Refusal(
    422,
    "own_account",
    Bilingual(
        "不能停用自己的账号，请由另一位安全管理员操作",
        "You cannot disable your own account; ask another security administrator",
    ),
)


class NewStaffRequest(BaseModel):
    username: str = Field(min_length=2, max_length=64)
    roles: list[Role] = Field(min_length=1, max_length=len(Role))
    region: str | None = Field(
        default=None, min_length=6, max_length=6, description="A local handler's county (D2)."
    )
    institution: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The institution an institution's staff issue certificates for (S4).",
    )


class NewClientRequest(BaseModel):
    id: str = Field(min_length=2, max_length=64)
    name: str = Field(min_length=1, max_length=128)
    department: str = Field(min_length=1, max_length=32)
    categories: list[str] = Field(min_length=1, max_length=32, description="Event types (D1).")
    purpose: str = Field(min_length=1, max_length=64, description="Its declared purpose (D1).")


@router.get("/admin/staff")
def staff_accounts(request: Request, caller: SecurityAdmin) -> list[dict[str, Any]]:
    with unit_of_work(request, caller) as uow:
        accounts = list_staff(uow)
    return [_staff_json(account) for account in accounts]


@router.post("/admin/staff", status_code=201)
def new_staff(body: NewStaffRequest, request: Request, caller: SecurityAdmin) -> dict[str, Any]:
    """Create a staff account; its password and TOTP secret are in this answer and nowhere else."""
    with unit_of_work(request, caller) as uow:
        created: NewStaff = create_staff(
            uow, body.username, body.roles, body.region, institution=body.institution
        )
    return {
        **_staff_json(created.account),
        "password": created.password,
        "totp_secret": created.totp_secret,
        "otpauth_uri": provisioning_uri(created.totp_secret, body.username, TOTP_ISSUER),
    }


@router.post("/admin/staff/{staff_id}/disable")
def disable_staff_account(staff_id: str, request: Request, caller: SecurityAdmin) -> dict[str, Any]:
    """Disable a staff account and end its sessions; one's own account cannot be disabled here."""
    if staff_id == caller.signed_in.subject:
        raise Refused(OWN_ACCOUNT)
    with unit_of_work(request, caller) as uow:
        disabled = disable_staff(uow, staff_id)
    if disabled is None:
        raise Refused(NOT_FOUND)
    _sessions(request).forget_subject(runtime_of(request), staff_id)
    return _staff_json(disabled)


@router.get("/admin/clients")
def clients(request: Request, caller: SecurityAdmin) -> list[dict[str, Any]]:
    """The registry of department clients: their data categories and declared purpose (D1)."""
    with unit_of_work(request, caller) as uow:
        registered = list_clients(uow)
    return [_client_json(client) for client in registered]


@router.post("/admin/clients", status_code=201)
def new_client(body: NewClientRequest, request: Request, caller: SecurityAdmin) -> dict[str, Any]:
    """Register a department client; its secret is in this answer and nowhere else."""
    with unit_of_work(request, caller) as uow:
        created: NewClient = register_client(
            uow, body.id, body.name, body.department, body.categories, body.purpose
        )
    return {**_client_json(created.client), "client_secret": created.secret}


@router.post("/admin/clients/{client_id}/disable")
def disable_department_client(
    client_id: str, request: Request, caller: SecurityAdmin
) -> dict[str, Any]:
    with unit_of_work(request, caller) as uow:
        disabled = disable_client(uow, client_id)
    if disabled is None:
        raise Refused(NOT_FOUND)
    _sessions(request).forget_subject(runtime_of(request), client_id)
    return _client_json(disabled)


@router.get("/audit")
def audit_log(
    request: Request,
    caller: Auditor,
    action: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_ROW_ID, description="Page back from this entry.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """The audit log, newest first; `next_before` pages on. Objects are pseudonyms, never data."""
    query = AuditQuery(action, actor, _aware(since), _aware(until), before, limit)
    with unit_of_work(request, caller) as uow:
        entries = read_audit_log(uow, query)
    last = entries[-1].seq if len(entries) == limit else None
    return {"entries": [audit_entry_json(logged) for logged in entries], "next_before": last}


@router.get("/audit/verification")
def audit_verification(request: Request, caller: Auditor) -> dict[str, Any]:
    """Every entry's MAC and every signed head, as `healthcode audit verify` checks them."""
    with unit_of_work(request, caller) as uow:
        report = verify_audit_log(uow)
        window = int(uow.runtime.settings.audit_unsealed_window.total_seconds())
    return verification_json(report, window)


@router.get("/audit/heads")
def audit_heads(
    request: Request, caller: Auditor, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> dict[str, Any]:
    """The newest signed heads, to compare with the copies shipped to write-once storage."""
    with unit_of_work(request, caller) as uow:
        heads = read_audit_heads(uow, limit)
        key = seal_public_jwk(uow.runtime.vault)
    return {"heads": [audit_head_json(head) for head in heads], "seal_key": key}


def _aware(instant: datetime | None) -> datetime | None:
    """An instant given without an offset is read as China Standard Time, the notice's time."""
    if instant is None or instant.tzinfo is not None:
        return instant
    return instant.replace(tzinfo=CHINA_TIME)


def _sessions(request: Request) -> SessionCache:
    cache: SessionCache = request.app.state.sessions
    return cache


def _staff_json(account: StaffAccount) -> dict[str, Any]:
    return {
        "id": account.id,
        "username": account.username,
        "roles": list(account.roles),
        "region": account.region,
        "institution": account.institution,
        "created_at": display_instant(account.created_at),
        "disabled_at": display_instant(account.disabled_at),
    }


def _client_json(client: DepartmentClient) -> dict[str, Any]:
    return {
        "id": client.id,
        "name": client.name,
        "department": client.department,
        "categories": list(client.categories),
        "purpose": client.purpose,
        "created_at": display_instant(client.created_at),
        "disabled_at": display_instant(client.disabled_at),
    }

"""Creating staff accounts and department clients (security administrators' work, D1, D2)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NoReturn

from healthcode.db.accounts_store import DepartmentClient, StaffAccount
from healthcode.domain.facts import EVENT_TYPES
from healthcode.domain.regions import region_problem
from healthcode.domain.roles import Role, staff_roles_problem
from healthcode.domain.text import Bilingual
from healthcode.security.passwords import hash_password, new_password
from healthcode.security.totp import new_secret
from healthcode.services.principals import PrincipalKind
from healthcode.services.refusals import Refusal, Refused
from healthcode.services.runtime import UnitOfWork

_IDENTIFIER = re.compile(r"[a-z][a-z0-9._-]{1,63}")


@dataclass(frozen=True, slots=True)
class NewStaff:
    """What the new staff member is handed once: the password and the authenticator secret."""

    account: StaffAccount
    password: str
    totp_secret: str


@dataclass(frozen=True, slots=True)
class NewClient:
    client: DepartmentClient
    secret: str  # shown once; only its argon2 hash is kept


def list_staff(uow: UnitOfWork) -> list[StaffAccount]:
    """Every staff account, for security administrators; each listing is audited (D2)."""
    accounts = uow.staff.all()
    uow.audit("staff.list", detail=f"count={len(accounts)}")
    return accounts


def list_clients(uow: UnitOfWork) -> list[DepartmentClient]:
    """The registry of department clients (D1); each listing is audited."""
    clients = uow.clients.all()
    uow.audit("client.list", detail=f"count={len(clients)}")
    return clients


def create_staff(
    uow: UnitOfWork,
    username: str,
    roles: Iterable[Role],
    region: str | None = None,
    password: str | None = None,
    institution: str | None = None,
) -> NewStaff:
    chosen = tuple(sorted(set(roles)))
    problem = (
        _identifier_problem(username, "username")
        or staff_roles_problem(chosen, region, institution)
        or (region and region_problem(region))
        or (institution and uow.institutions.get(institution) is None and "unknown institution")
    )
    if problem:
        _refuse(uow, "staff.create", problem)
    staff = uow.staff
    if staff.by_username(username) is not None:
        _refuse(uow, "staff.create", "username already taken")
    password = password or new_password()
    account = StaffAccount(
        str(uuid.uuid4()),
        username,
        hash_password(password),
        chosen,
        region,
        uow.now,
        None,
        institution,
    )
    totp_secret = new_secret()
    staff.add(account, totp_secret, uow.actor.name)
    uow.audit("staff.create", f"staff:{username}", detail=",".join(chosen))
    return NewStaff(account, password, totp_secret)


def reset_staff_password(uow: UnitOfWork, account: StaffAccount) -> str:
    """A new random password for `account`, handed over once; the old one stops working."""
    password = new_password()
    uow.staff.set_password_hash(account.id, hash_password(password))
    uow.audit("staff.password-reset", f"staff:{account.username}")
    return password


def register_client(
    uow: UnitOfWork,
    client_id: str,
    name: str,
    department: str,
    categories: Iterable[str],
    purpose: str,
) -> NewClient:
    chosen = tuple(sorted(set(categories)))
    problem = _identifier_problem(client_id, "client id") or _client_problem(chosen, name, purpose)
    if problem:
        _refuse(uow, "client.register", problem)
    store = uow.clients
    if store.get(client_id) is not None:
        _refuse(uow, "client.register", "client id already taken")
    secret = new_password(32)
    client = DepartmentClient(
        client_id,
        name.strip(),
        department,
        hash_password(secret),
        chosen,
        purpose.strip(),
        uow.now,
        None,
    )
    store.add(client, uow.actor.name)
    uow.audit("client.register", f"client:{client_id}", detail=",".join(chosen))
    return NewClient(client, secret)


def _identifier_problem(value: str, what: str) -> str | None:
    if _IDENTIFIER.fullmatch(value):
        return None
    return f"{what} must be 2-64 lower-case letters, digits, '.', '_' or '-' after a letter"


def _client_problem(categories: tuple[str, ...], name: str, purpose: str) -> str | None:
    if not categories or any(category not in EVENT_TYPES for category in categories):
        # Which one is not said: a reason never repeats what was sent (D2, issue #11).
        return "categories must be event types of the exchange format"
    if not purpose.strip() or not name.strip():
        return "a department client needs a name and a declared purpose (D1)"
    return None


def _refuse(uow: UnitOfWork, action: str, problem: str) -> NoReturn:
    """Audit the refusal and raise it. The reasons are fixed sentences that may name roles (a
    closed vocabulary) but never repeat a value sent (a name, an id, a category), so they are
    shown and kept as they are."""
    uow.audit(action, outcome="refused", detail=problem[:200])
    raise Refused(
        Refusal(
            422,
            "account_refused",
            Bilingual(f"无法创建该账号：{problem}", f"The account cannot be created: {problem}"),
        )
    )


def disable_staff(uow: UnitOfWork, staff_id: str) -> StaffAccount | None:
    """Disable a staff account and end its sessions at once; None if there is no such account."""
    store = uow.staff
    account = store.by_id(staff_id)
    if account is None:
        return None
    store.disable(staff_id, uow.now)
    uow.sessions.revoke_subject(PrincipalKind.STAFF, staff_id, uow.now)
    uow.audit("staff.disable", f"staff:{account.username}")
    return store.by_id(staff_id)


def disable_client(uow: UnitOfWork, client_id: str) -> DepartmentClient | None:
    """Disable a department client and end its sessions; None if there is no such client."""
    store = uow.clients
    if store.get(client_id) is None:
        return None
    store.disable(client_id, uow.now)
    uow.sessions.revoke_subject(PrincipalKind.CLIENT, client_id, uow.now)
    uow.audit("client.disable", f"client:{client_id}")
    return store.get(client_id)

"""The demo's staff: one account per role, so every part of the console can be tried.

Passwords are random and printed once, when the account is created. The second factor's current
code is printed on request by `healthcode demo-totp` for these accounts only (they are marked as
created by the demo): a newcomer need not set up an authenticator app to look around.
"""

from __future__ import annotations

from typing import Final

from healthcode.domain.roles import Role
from healthcode.security.totp import code_at
from healthcode.services.accounts import create_staff
from healthcode.services.runtime import UnitOfWork

CREATED_BY: Final = "demo"
# The county the local handler answers for: 西湖区, where the fixed residents live.
HANDLER_REGION: Final = "330106"
DEMO_STAFF: Final = (
    ("admin", Role.SYSTEM_ADMIN),
    ("security", Role.SECURITY_ADMIN),
    ("auditor", Role.AUDITOR),
    ("author", Role.RULE_AUTHOR),
    ("approver", Role.RULE_APPROVER),
    ("hotline", Role.HOTLINE_OPERATOR),
    ("handler", Role.LOCAL_HANDLER),
    ("checker", Role.CHECKPOINT),
    ("border", Role.BORDER),  # the foreign verification API only (ADR 0015)
)


def create_demo_staff(uow: UnitOfWork) -> list[tuple[str, str, str | None]]:
    """(login, role, password or None when the account already existed)."""
    store = uow.staff
    created: list[tuple[str, str, str | None]] = []
    for login, role in DEMO_STAFF:
        if store.by_username(login) is not None:
            created.append((login, role.value, None))
            continue
        region = HANDLER_REGION if role is Role.LOCAL_HANDLER else None
        new = create_staff(uow, login, [role], region)
        created.append((login, role.value, new.password))
    return created


def demo_one_time_password(uow: UnitOfWork, login: str) -> str | None:
    """The current second-factor code of a demo account; None for any other account."""
    store = uow.staff
    account = store.by_username(login)
    if account is None or store.created_by(account.id) != CREATED_BY:
        return None
    return code_at(store.totp_secret(account.id), uow.now)

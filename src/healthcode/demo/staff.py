"""The demo's staff: one account per role, so every part of the console can be tried.

Passwords are random. The demo keeps them in `demo/staff-passwords.json` in the data directory
(readable by its owner only, like the keyring beside it) and prints them on every run, so a
newcomer who missed the first run still finds them; a password that file does not hold (or that
no longer matches) is replaced by a new one. Only accounts the demo created are ever touched.
The second factor's current code is printed on request by `healthcode demo-totp` for these
accounts only: a newcomer need not set up an authenticator app to look around.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from healthcode.demo.places import COMMUNITY, HOSPITAL
from healthcode.domain.roles import Role
from healthcode.security.passwords import password_matches
from healthcode.security.totp import code_at
from healthcode.services.accounts import create_staff, reset_staff_password
from healthcode.services.runtime import UnitOfWork

CREATED_BY: Final = "demo"
PASSWORDS_FILE: Final = Path("demo") / "staff-passwords.json"
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
    ("community", Role.INSTITUTION_STAFF),
    ("hospital", Role.INSTITUTION_STAFF),
    ("border", Role.BORDER),  # the foreign verification API only (ADR 0015)
)
# The institution each institution account issues certificates for (S4).
INSTITUTION_OF: Final = {"community": COMMUNITY.id, "hospital": HOSPITAL.id}


def create_demo_staff(
    uow: UnitOfWork, known: Mapping[str, str]
) -> list[tuple[str, str, str | None]]:
    """(login, role, password): the one in `known` while it still signs in, else a new one.

    None for a login taken by an account the demo did not create (never reset from here).
    """
    store = uow.staff
    accounts: list[tuple[str, str, str | None]] = []
    for login, role in DEMO_STAFF:
        account = store.by_username(login)
        if account is None:
            region = HANDLER_REGION if role is Role.LOCAL_HANDLER else None
            new = create_staff(uow, login, [role], region, institution=INSTITUTION_OF.get(login))
            accounts.append((login, role.value, new.password))
        elif store.created_by(account.id) != CREATED_BY:
            accounts.append((login, role.value, None))
        elif login in known and password_matches(account.password_hash, known[login]):
            accounts.append((login, role.value, known[login]))
        else:
            accounts.append((login, role.value, reset_staff_password(uow, account)))
    return accounts


def read_demo_passwords(data_dir: Path) -> dict[str, str]:
    """The passwords the demo kept; none when the file is missing or unreadable (then reset)."""
    try:
        stored = json.loads((data_dir / PASSWORDS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(stored, dict):
        return {}
    return {str(login): str(password) for login, password in stored.items()}


def write_demo_passwords(data_dir: Path, passwords: Mapping[str, str]) -> Path:
    """Owner-only (0600), written whole, then renamed: never half a file, never world-readable."""
    path = data_dir / PASSWORDS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(json.dumps(dict(passwords), indent=2) + "\n")
    os.replace(partial, path)
    return path


def demo_one_time_password(uow: UnitOfWork, login: str) -> str | None:
    """The current second-factor code of a demo account; None for any other account."""
    store = uow.staff
    account = store.by_username(login)
    if account is None or store.created_by(account.id) != CREATED_BY:
        return None
    return code_at(store.totp_secret(account.id), uow.now)

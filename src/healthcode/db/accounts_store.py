"""Staff accounts, department clients, resident accounts and the household links between
resident accounts and persons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, Row, Select, bindparam, insert, select, update

from healthcode.db.people import StoredPerson, stored_person
from healthcode.db.schema import (
    applications,
    code_states,
    department_clients,
    household_links,
    persons,
    resident_accounts,
    staff_accounts,
)
from healthcode.db.states import StoredState, opened_state
from healthcode.security.vault import Vault


@dataclass(frozen=True, slots=True)
class StaffAccount:
    id: str
    username: str
    password_hash: str
    roles: tuple[str, ...]
    region: str | None
    created_at: datetime
    disabled_at: datetime | None
    institution: str | None = None  # an institution's staff: the one they issue for (S4)


@dataclass(frozen=True, slots=True)
class DepartmentClient:
    id: str
    name: str
    department: str
    secret_hash: str
    categories: tuple[str, ...]
    purpose: str
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True, slots=True)
class HouseholdLink:
    account_id: str
    person_id: str
    relationship: str
    consent: str
    linked_at: datetime
    id: int | None = None  # None until stored


@dataclass(frozen=True, slots=True)
class HouseholdMember:
    """A live link with what showing the linked person's code needs, read in the same statement."""

    link: HouseholdLink
    person: StoredPerson
    id_number_sealed: bytes  # opened only for the person whose code is shown
    state: StoredState | None  # None before the person has an evaluated colour
    applied_version: str | None  # the version of their latest application, if any


class StaffStore:
    def __init__(self, connection: Connection, vault: Vault) -> None:
        self._connection = connection
        self._vault = vault

    def add(self, account: StaffAccount, totp_secret: str, created_by: str) -> None:
        self._connection.execute(
            insert(staff_accounts).values(
                id=account.id,
                username=account.username,
                password_hash=account.password_hash,
                totp_sealed=self._vault.seal_text(totp_secret, _totp_context(account.id)),
                roles=",".join(account.roles),
                region=account.region,
                institution=account.institution,
                created_by=created_by,
                created_at=account.created_at,
            )
        )

    def by_username(self, username: str) -> StaffAccount | None:
        row = self._connection.execute(
            select(staff_accounts).where(staff_accounts.c.username == username)
        ).one_or_none()
        return None if row is None else _staff(row)

    def by_id(self, account_id: str) -> StaffAccount | None:
        row = self._connection.execute(
            select(staff_accounts).where(staff_accounts.c.id == account_id)
        ).one_or_none()
        return None if row is None else _staff(row)

    def all(self) -> list[StaffAccount]:
        rows = self._connection.execute(select(staff_accounts).order_by(staff_accounts.c.username))
        return [_staff(row) for row in rows]

    def created_by(self, account_id: str) -> str | None:
        found: str | None = self._connection.execute(
            select(staff_accounts.c.created_by).where(staff_accounts.c.id == account_id)
        ).scalar_one_or_none()
        return found

    def totp_secret(self, account_id: str) -> str:
        sealed = self._connection.execute(
            select(staff_accounts.c.totp_sealed).where(staff_accounts.c.id == account_id)
        ).scalar_one()
        return self._vault.open_text(sealed, _totp_context(account_id))

    def set_password_hash(self, account_id: str, password_hash: str) -> None:
        self._connection.execute(
            update(staff_accounts)
            .where(staff_accounts.c.id == account_id)
            .values(password_hash=password_hash)
        )

    def disable(self, account_id: str, now: datetime) -> bool:
        result = self._connection.execute(
            update(staff_accounts)
            .where(staff_accounts.c.id == account_id, staff_accounts.c.disabled_at.is_(None))
            .values(disabled_at=now)
        )
        return result.rowcount == 1


class ClientStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, client: DepartmentClient, created_by: str) -> None:
        self._connection.execute(
            insert(department_clients).values(
                id=client.id,
                name=client.name,
                department=client.department,
                secret_hash=client.secret_hash,
                categories=",".join(client.categories),
                purpose=client.purpose,
                created_by=created_by,
                created_at=client.created_at,
            )
        )

    def get(self, client_id: str) -> DepartmentClient | None:
        row = self._connection.execute(
            select(department_clients).where(department_clients.c.id == client_id)
        ).one_or_none()
        return None if row is None else _client(row)

    def all(self) -> list[DepartmentClient]:
        rows = self._connection.execute(
            select(department_clients).order_by(department_clients.c.id)
        )
        return [_client(row) for row in rows]

    def disable(self, client_id: str, now: datetime) -> bool:
        result = self._connection.execute(
            update(department_clients)
            .where(department_clients.c.id == client_id, department_clients.c.disabled_at.is_(None))
            .values(disabled_at=now)
        )
        return result.rowcount == 1


class ResidentStore:
    """Resident accounts (a phone number) and whose codes each may show."""

    def __init__(self, connection: Connection, vault: Vault) -> None:
        self._connection = connection
        self._vault = vault

    def phone_index(self, phone: str) -> bytes:
        return self._vault.blind_index("phone", phone)

    def account_for(self, phone: str) -> str | None:
        found: str | None = self._connection.execute(
            select(resident_accounts.c.id).where(
                resident_accounts.c.phone_index == self.phone_index(phone)
            )
        ).scalar_one_or_none()
        return found

    def add(self, account_id: str, phone: str, now: datetime) -> None:
        self._connection.execute(
            insert(resident_accounts).values(
                id=account_id,
                phone_index=self.phone_index(phone),
                phone_sealed=self._vault.seal_text(phone, f"resident-phone:{account_id}"),
                created_at=now,
            )
        )

    def phone_index_of(self, account_id: str) -> bytes | None:
        found = self._connection.execute(
            select(resident_accounts.c.phone_index).where(resident_accounts.c.id == account_id)
        ).scalar_one_or_none()
        return None if found is None else bytes(found)

    def phone(self, account_id: str) -> str | None:
        sealed = self._connection.execute(
            select(resident_accounts.c.phone_sealed).where(resident_accounts.c.id == account_id)
        ).scalar_one_or_none()
        return (
            None
            if sealed is None
            else self._vault.open_text(sealed, f"resident-phone:{account_id}")
        )

    def links(self, account_id: str) -> list[HouseholdLink]:
        rows = self._connection.execute(
            select(household_links)
            .where(
                household_links.c.account_id == account_id,
                household_links.c.unlinked_at.is_(None),
            )
            .order_by(household_links.c.id)
        )
        return [_link(row) for row in rows]

    def household(self, account_id: str) -> list[HouseholdMember]:
        """The live links in the order they were made, each with its person, their stored code
        and the version they applied for: one statement (ADR 0022), where `links`, the persons,
        their states and their applications were four, and a code shown read them twice."""
        rows = self._connection.execute(_HOUSEHOLD, {"account_id": account_id})
        return [
            HouseholdMember(
                HouseholdLink(
                    row.account_id,
                    row.person_id,
                    row.relationship,
                    row.consent,
                    row.linked_at,
                    row.link_id,
                ),
                stored_person(row),
                bytes(row.id_number_sealed),
                None if row.decision_sealed is None else opened_state(self._vault, row),
                row.applied_version,
            )
            for row in rows
        ]

    def bound_by_others(self, person_id: str) -> list[HouseholdLink]:
        """The live links of other accounts to this person (not their own "self" link)."""
        rows = self._connection.execute(
            select(household_links)
            .where(
                household_links.c.person_id == person_id,
                household_links.c.relationship != "self",
                household_links.c.unlinked_at.is_(None),
            )
            .order_by(household_links.c.id)
        )
        return [_link(row) for row in rows]

    def unlink_by_id(self, link_id: int, now: datetime) -> bool:
        result = self._connection.execute(
            update(household_links)
            .where(household_links.c.id == link_id, household_links.c.unlinked_at.is_(None))
            .values(unlinked_at=now)
        )
        return result.rowcount > 0

    def self_account_of(self, person_id: str) -> str | None:
        """The account this person holds as themselves, if any: one account per person (A1)."""
        found: str | None = self._connection.execute(
            select(household_links.c.account_id).where(
                household_links.c.person_id == person_id,
                household_links.c.relationship == "self",
                household_links.c.unlinked_at.is_(None),
            )
        ).scalar()
        return found

    def link(self, link: HouseholdLink) -> None:
        self._connection.execute(
            insert(household_links).values(
                account_id=link.account_id,
                person_id=link.person_id,
                relationship=link.relationship,
                consent=link.consent,
                linked_at=link.linked_at,
            )
        )

    def unlink(self, account_id: str, person_id: str, now: datetime) -> bool:
        result = self._connection.execute(
            update(household_links)
            .where(
                household_links.c.account_id == account_id,
                household_links.c.person_id == person_id,
                household_links.c.unlinked_at.is_(None),
            )
            .values(unlinked_at=now)
        )
        return result.rowcount > 0


def _household() -> Select[Any]:
    link, person, state = household_links.c, persons.c, code_states.c
    latest_version = (
        select(applications.c.version)
        .where(applications.c.person_id == link.person_id)
        .order_by(applications.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(
            link.id.label("link_id"),
            link.account_id,
            link.person_id,
            link.relationship,
            link.consent,
            link.linked_at,
            person.id,
            person.id_type,
            person.id_number_sealed,
            person.id_number_masked,
            person.name_masked,
            person.home_region,
            state.decision_sealed,
            state.since,
            state.ruleset,
            state.evaluated_at,
            state.next_review_at,
            latest_version.label("applied_version"),
        )
        .select_from(
            household_links.join(persons, person.id == link.person_id).outerjoin(
                code_states, state.person_id == link.person_id
            )
        )
        .where(link.account_id == bindparam("account_id"), link.unlinked_at.is_(None))
        .order_by(link.id)
    )


# Built once: a statement object keeps its cache key, so a show neither builds nor traverses it
# again before SQLAlchemy finds its compiled form (the peak's Python, ADR 0022).
_HOUSEHOLD: Final = _household()


def _totp_context(account_id: str) -> str:
    return f"staff-totp:{account_id}"


def _staff(row: Row[tuple[object, ...]]) -> StaffAccount:
    return StaffAccount(
        id=row.id,
        username=row.username,
        password_hash=row.password_hash,
        roles=tuple(role for role in row.roles.split(",") if role),
        region=row.region,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
        institution=row.institution,
    )


def _client(row: Row[tuple[object, ...]]) -> DepartmentClient:
    return DepartmentClient(
        id=row.id,
        name=row.name,
        department=row.department,
        secret_hash=row.secret_hash,
        categories=tuple(category for category in row.categories.split(",") if category),
        purpose=row.purpose,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )


def _link(row: Row[tuple[object, ...]]) -> HouseholdLink:
    return HouseholdLink(
        row.account_id, row.person_id, row.relationship, row.consent, row.linked_at, row.id
    )

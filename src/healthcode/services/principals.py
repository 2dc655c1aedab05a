"""Who is calling: a signed-in resident, staff member or department system, with their roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from healthcode.domain.regions import covers
from healthcode.domain.roles import Role


class PrincipalKind(StrEnum):
    RESIDENT = "resident"
    STAFF = "staff"
    CLIENT = "client"


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    subject: str  # the account, staff or client id: never a phone or a name
    label: str  # how the audit log names them
    roles: frozenset[Role]
    region: str | None = None  # a local handler's area; None: the whole province
    institution: str | None = None  # an institution's staff: the one they issue for (S4)
    categories: frozenset[str] = field(default_factory=frozenset)  # a client's event types (D1)
    purpose: str | None = None  # a client's registered purpose (D1)

    def answers_for(self, region: str | None) -> bool:
        """Whether a region falls inside this caller's area (属地): no scope covers everything."""
        if self.region is None:
            return True
        return region is not None and covers(self.region, region)

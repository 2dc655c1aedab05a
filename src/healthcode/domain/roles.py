"""Who may do what (D2): the separated roles of staff and the kinds of callers.

Roles are separated so that no one account can both change the system and hide the change: the
people who run it are not the people who audit it, and a rule's author is not its approver.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from healthcode.domain.text import Bilingual


class Role(StrEnum):
    SYSTEM_ADMIN = "system-admin"
    SECURITY_ADMIN = "security-admin"
    AUDITOR = "auditor"
    RULE_AUTHOR = "rule-author"
    RULE_APPROVER = "rule-approver"
    HOTLINE_OPERATOR = "hotline-operator"  # 12345
    LOCAL_HANDLER = "local-handler"  # scoped to a region (属地)
    CHECKPOINT = "checkpoint-staff"
    # Verifies inbound travellers' foreign certificates and nothing else (issue #15, A8, S5).
    BORDER = "border-staff"
    INSTITUTION_STAFF = "institution-staff"  # of one community or medical institution (S4)
    DEPARTMENT = "department-client"  # a department's system, not a person
    RESIDENT = "resident"


STAFF_ROLES = frozenset(Role) - {Role.DEPARTMENT, Role.RESIDENT}

# Pairs one staff account may not hold together.
INCOMPATIBLE: frozenset[frozenset[Role]] = frozenset(
    {
        frozenset({Role.AUDITOR, Role.SYSTEM_ADMIN}),
        frozenset({Role.AUDITOR, Role.SECURITY_ADMIN}),
        frozenset({Role.RULE_AUTHOR, Role.RULE_APPROVER}),
    }
)

ROLE_NAMES: dict[Role, Bilingual] = {
    Role.SYSTEM_ADMIN: Bilingual("系统管理员", "System administrator"),
    Role.SECURITY_ADMIN: Bilingual("安全管理员", "Security administrator"),
    Role.AUDITOR: Bilingual("审计员", "Auditor"),
    Role.RULE_AUTHOR: Bilingual("规则起草人", "Rule author"),
    Role.RULE_APPROVER: Bilingual("规则审批人", "Rule approver"),
    Role.HOTLINE_OPERATOR: Bilingual("12345 话务员", "12345 operator"),
    Role.LOCAL_HANDLER: Bilingual("属地处置人员", "Local handler"),
    Role.CHECKPOINT: Bilingual("查验人员", "Checkpoint staff"),
    Role.BORDER: Bilingual("口岸查验人员", "Border staff"),
    Role.INSTITUTION_STAFF: Bilingual("社区或医疗机构工作人员", "Community or medical staff"),
    Role.DEPARTMENT: Bilingual("部门系统", "Department system"),
    Role.RESIDENT: Bilingual("居民", "Resident"),
}


def staff_roles_problem(
    roles: Iterable[Role], region: str | None, institution: str | None = None
) -> str | None:
    """Why these roles cannot be given to one staff account, or None."""
    chosen = frozenset(roles)
    if not chosen:
        return "a staff account needs at least one role"
    outside = chosen - STAFF_ROLES
    if outside:
        return f"not a staff role: {', '.join(sorted(outside))}"
    for pair in sorted(INCOMPATIBLE, key=sorted):
        if pair <= chosen:
            return f"roles must be held by different people: {' and '.join(sorted(pair))}"
    if Role.LOCAL_HANDLER in chosen and not region:
        return "a local handler needs the region they answer for"
    # A certificate speaks for one institution: its own staff issue it, for it alone (S4).
    if (Role.INSTITUTION_STAFF in chosen) != bool(institution):
        return "an institution's staff, and only they, belong to the institution they issue for"
    return None

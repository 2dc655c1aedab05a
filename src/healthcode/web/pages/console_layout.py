"""What every console page shares: the pages, who may open each, and the navigation that shows a
signed-in staff member only the pages their roles open (D2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse

from healthcode.domain.roles import ROLE_NAMES, STAFF_ROLES, Role
from healthcode.domain.text import Bilingual
from healthcode.services.appeals.common import READERS as APPEAL_READERS
from healthcode.services.appeals.oversight import OVERSEERS as APPEAL_OVERSEERS
from healthcode.services.dashboard import region_name
from healthcode.web.access import Caller
from healthcode.web.rendering import render
from healthcode.web.routes.dashboard import DASHBOARD_ROLES

HOME_ROLES: Final = tuple(sorted(STAFF_ROLES))
# The same readers as the APIs the pages act through, so a page never offers what would be refused.
RULES_ROLES: Final = (Role.RULE_AUTHOR, Role.RULE_APPROVER, Role.AUDITOR, Role.SYSTEM_ADMIN)
AREAS_ROLES: Final = (Role.RULE_APPROVER, Role.RULE_AUTHOR, Role.SYSTEM_ADMIN, Role.AUDITOR)
VENUES_ROLES: Final = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN)
ADMIN_ROLES: Final = (Role.SECURITY_ADMIN,)
AUDIT_ROLES: Final = (Role.AUDITOR,)
# Appeals (S6): the 12345 desk and the local queue; one appeal for whoever the services let read
# it (a rule approver too, to approve an override); the figures for the appeal services' overseers.
APPEAL_DESK_ROLES: Final = (Role.HOTLINE_OPERATOR, Role.LOCAL_HANDLER)
APPEAL_READER_ROLES: Final = tuple(sorted(APPEAL_READERS))
APPEAL_OVERSIGHT_ROLES: Final = tuple(sorted(APPEAL_OVERSEERS))
CERTIFICATE_ROLES: Final = (Role.INSTITUTION_STAFF,)


@dataclass(frozen=True, slots=True)
class ConsolePage:
    key: str  # element ids: nav-<key>, link-<key>
    path: str
    title: Bilingual
    summary: Bilingual
    roles: frozenset[Role]


PAGES: Final = (
    ConsolePage(
        "dashboard",
        "/console/dashboard",
        Bilingual("态势总览", "Dashboard"),
        Bilingual(
            "各地区各颜色赋码数量及变化趋势（仅统计数）",
            "Codes by colour and region, and moves over time (counts only)",
        ),
        frozenset(DASHBOARD_ROLES),
    ),
    ConsolePage(
        "rules",
        "/console/rules",
        Bilingual("赋码规则", "Rules"),
        Bilingual(
            "起草规则、试算影响、第二人审批",
            "Draft rules, preview their impact, approve by a second person",
        ),
        frozenset(RULES_ROLES),
    ),
    ConsolePage(
        "areas",
        "/console/areas",
        Bilingual("风险地区", "Risk areas"),
        Bilingual(
            "中高风险地区及严重地区、场所认定",
            "Medium and high-risk areas, severe areas and places",
        ),
        frozenset(AREAS_ROLES),
    ),
    ConsolePage(
        "venues",
        "/console/venues",
        Bilingual("场所与设备", "Venues and devices"),
        Bilingual(
            "登记场所和扫码设备，复核被标记的设备",
            "Register venues and scanners, review flagged devices",
        ),
        frozenset(VENUES_ROLES),
    ),
    ConsolePage(
        "clients",
        "/console/clients",
        Bilingual("部门系统", "Department clients"),
        Bilingual(
            "接入系统的登记、数据类别与用途",
            "Registered systems, their data categories and purposes",
        ),
        frozenset(ADMIN_ROLES),
    ),
    ConsolePage(
        "staff",
        "/console/staff",
        Bilingual("工作人员", "Staff"),
        Bilingual(
            "工作人员账号与角色",
            "Staff accounts and their roles",
        ),
        frozenset(ADMIN_ROLES),
    ),
    ConsolePage(
        "audit",
        "/console/audit",
        Bilingual("审计日志", "Audit log"),
        Bilingual(
            "查阅操作记录并校验其完整性",
            "Read the log and verify its integrity",
        ),
        frozenset(AUDIT_ROLES),
    ),
    ConsolePage(
        "appeals",
        "/console/appeals",
        Bilingual("12345 申诉", "12345 appeals"),
        Bilingual(
            "受理来电、回复查询、属地办理申诉",
            "Take calls, answer callbacks, handle your region's appeals",
        ),
        frozenset(APPEAL_DESK_ROLES),
    ),
    ConsolePage(
        "appeals-oversight",
        "/console/appeals/oversight",
        Bilingual("申诉督办", "Appeal oversight"),
        Bilingual(
            "各地区各类申诉数量、答复时长、升级和超期情况",
            "Appeals by region and category: volumes, time to answer, escalations, overdue",
        ),
        frozenset(APPEAL_OVERSIGHT_ROLES),
    ),
    ConsolePage(
        "certificates",
        "/console/certificates",
        Bilingual("开具纸质证明", "Paper certificates"),
        Bilingual(
            "为无智能手机的居民开具社区或医疗机构纸质证明",
            "Issue a community or medical certificate to a person without a smartphone",
        ),
        frozenset(CERTIFICATE_ROLES),
    ),
    ConsolePage(
        "checkpoint",
        "/checkpoint",
        Bilingual("查验", "Checkpoint"),
        Bilingual(
            "扫码或凭证件查验",
            "Scan a code or check an identity document",
        ),
        frozenset((Role.CHECKPOINT,)),
    ),
)


def pages_for(caller: Caller) -> list[ConsolePage]:
    roles = caller.signed_in.roles
    return [page for page in PAGES if page.roles & roles]


def console_page(request: Request, caller: Caller, template: str, **context: Any) -> HTMLResponse:
    """Render a console page with the navigation this caller may follow."""
    principal = caller.signed_in
    return render(
        request,
        template,
        nav=pages_for(caller),
        current=request.url.path,
        staff_label=principal.label,
        staff_roles=[ROLE_NAMES[role] for role in sorted(principal.roles)],
        staff_region=None if principal.region is None else region_name(principal.region),
        **context,
    )

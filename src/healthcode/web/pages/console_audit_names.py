"""What the audit log viewer calls the log's stored words, Chinese first (D2).

The log keeps each entry as it was written (English identifiers and the declared purpose, which
its MACs cover); the page only names them for its reader. A word not listed here is shown as
stored, so a new purpose is never hidden.
"""

from __future__ import annotations

from typing import Final

from healthcode.domain.roles import ROLE_NAMES
from healthcode.domain.text import Bilingual

_B = Bilingual
# Staff act in their role's value (rule-author); commands and jobs in a word of their own.
ACTOR_ROLE_NAMES: Final[dict[str, Bilingual]] = {
    **{role.value: name for role, name in ROLE_NAMES.items()},
    **{role.value.replace("-", "_"): name for role, name in ROLE_NAMES.items()},
    "public": _B("公众（未登录）", "Public (not signed in)"),
    "operator": _B("运维人员", "Operator"),
    "system": _B("系统", "System"),
    "checkpoint": _B("查验人员", "Checkpoint staff"),
    "department_client": _B("部门系统", "Department system"),
    "population_job": _B("全员评估任务", "Population job"),
    "partition_dispatch": _B("分区派发", "Partition dispatch"),
    "ruleset_activation": _B("规则生效", "Ruleset activation"),
    "scheduled_review": _B("定时复核", "Scheduled review"),
    "appeal_escalation": _B("申诉超时升级", "Appeal escalation"),
    "audit_sealing": _B("审计封存", "Audit sealing"),
    "scan_retention": _B("扫码记录清理", "Scan retention"),
    "pending_binding_retention": _B("待确认绑定清理", "Pending binding retention"),
    "channel": _B("申领渠道", "Application channel"),
    "institution": _B("出证机构", "Certifying institution"),
}
OUTCOME_NAMES: Final = {
    "ok": _B("成功", "OK"),
    "refused": _B("拒绝", "Refused"),
    "throttled": _B("限流", "Throttled"),
    "not_found": _B("未找到", "Not found"),
    "already": _B("已存在", "Already done"),
    "flagged": _B("已标记", "Flagged"),
    "no_state": _B("尚无赋码", "No code yet"),
    "unsent": _B("未发送", "Not sent"),
}
PURPOSE_NAMES: Final = {
    "12345 appeal intake, callbacks and the queue": _B(
        "12345 申诉受理、回访与队列", "12345 appeal intake, callbacks and the queue"
    ),
    "API explorer": _B("接口说明", "API explorer"),
    "answer an appeal": _B("答复申诉", "answer an appeal"),
    "appeal a health code": _B("对健康码提出申诉", "appeal a health code"),
    "apply for a health code": _B("申领健康码", "apply for a health code"),
    "approve a ruleset version": _B("审批规则版本", "approve a ruleset version"),
    "approve an appeal override": _B("审批申诉赋码", "approve an appeal override"),
    "assess a ruleset's impact (dry run)": _B(
        "试算规则影响", "assess a ruleset's impact (dry run)"
    ),
    "audit who did what (D2)": _B("审计操作记录", "audit who did what (D2)"),
    "audit_verification": _B("校验审计日志", "audit verification"),
    "authenticate callers": _B("验证调用方身份", "authenticate callers"),
    "certificate_issue": _B("签发证明", "certificate issue"),
    "check a person without a phone at an entrance (S4)": _B(
        "入口查验无手机人员", "check a person without a phone at an entrance (S4)"
    ),
    "check an identity document in person to complete a binding": _B(
        "现场核验证件完成绑定", "check an identity document in person to complete a binding"
    ),
    "check codes at a venue": _B("场所查验健康码", "check codes at a venue"),
    "code_application": _B("申领健康码", "code application"),
    "code_issue": _B("签发健康码", "code issue"),
    "code_verification": _B("核验健康码", "code verification"),
    "confirm a binding by code": _B("凭验证码确认绑定", "confirm a binding by code"),
    "demo": _B("演示", "demo"),
    "demo_load": _B("加载演示数据", "demo load"),
    "demo resident accounts": _B("演示居民账号", "demo resident accounts"),
    "demo sign-in help": _B("演示登录帮助", "demo sign-in help"),
    "demo staff accounts": _B("演示工作人员账号", "demo staff accounts"),
    "development outbox": _B("开发短信收件箱", "development outbox"),
    "device_list": _B("列出扫码设备", "device list"),
    "device_registration": _B("登记扫码设备", "device registration"),
    "device_review": _B("复核扫码设备", "device review"),
    "draft a ruleset version": _B("起草规则版本", "draft a ruleset version"),
    "end a binding of me": _B("解除他人对我的绑定", "end a binding of me"),
    "epidemic situation overview (counts only)": _B(
        "疫情态势总览（仅计数）", "epidemic situation overview (counts only)"
    ),
    "find a caller's appeals on callback": _B(
        "回访时查找来电人的申诉", "find a caller's appeals on callback"
    ),
    "handle an appeal": _B("处置申诉", "handle an appeal"),
    "institution_list": _B("列出出证机构", "institution list"),
    "institution_registration": _B("登记出证机构", "institution registration"),
    "key_list": _B("列出签名密钥", "key list"),
    "key_revocation": _B("吊销签名密钥", "key revocation"),
    "key_rotation": _B("轮换签名密钥", "key rotation"),
    "list appeals owed an answer": _B("列出待答复申诉", "list appeals owed an answer"),
    "list my household's codes": _B("列出本户健康码", "list my household's codes"),
    "liveness probe": _B("存活探测", "liveness probe"),
    "manage staff accounts and clients (D2)": _B(
        "管理工作人员账号与部门系统", "manage staff accounts and clients (D2)"
    ),
    "metrics scrape": _B("采集运行指标", "metrics scrape"),
    "oversee appeal handling": _B("督办申诉处置", "oversee appeal handling"),
    "oversee appeals: volumes, delays, misuse": _B(
        "督办申诉：数量、延误、滥用", "oversee appeals: volumes, delays, misuse"
    ),
    "print a paper code": _B("打印纸质健康码", "print a paper code"),
    "publish risk areas and severe areas": _B(
        "发布风险地区与严重地区", "publish risk areas and severe areas"
    ),
    "publish the gateway list": _B("发布网关清单", "publish the gateway list"),
    "publish the trust list": _B("发布信任列表", "publish the trust list"),
    "read an appeal": _B("查阅申诉", "read an appeal"),
    "read an appeal to handle or answer it": _B(
        "查阅申诉以处置或答复", "read an appeal to handle or answer it"
    ),
    "read and review ruleset versions": _B(
        "查阅并审核规则版本", "read and review ruleset versions"
    ),
    "read my appeals' answers": _B("查阅我的申诉答复", "read my appeals' answers"),
    "read registered scanner devices": _B("查阅已登记扫码设备", "read registered scanner devices"),
    "read registered venues and scanner devices": _B(
        "查阅已登记场所与扫码设备", "read registered venues and scanner devices"
    ),
    "read registered venues and their area risk": _B(
        "查阅已登记场所及其地区风险", "read registered venues and their area risk"
    ),
    "read ruleset versions": _B("查阅规则版本", "read ruleset versions"),
    "read the risk areas and severe areas in force": _B(
        "查阅现行风险地区与严重地区", "read the risk areas and severe areas in force"
    ),
    "readiness probe": _B("就绪探测", "readiness probe"),
    "receive a trust list, authenticated by its issuer's root": _B(
        "接收经签发方根密钥认证的信任列表",
        "receive a trust list, authenticated by its issuer's root",
    ),
    "record a 12345 appeal call": _B("登记 12345 申诉来电", "record a 12345 appeal call"),
    "record a scan reported by a device (D2)": _B(
        "记录设备上报的扫码", "record a scan reported by a device (D2)"
    ),
    "register a trusted issuer's root": _B(
        "登记受信任签发方根密钥", "register a trusted issuer's root"
    ),
    "register scanner devices and keys": _B(
        "登记扫码设备与密钥", "register scanner devices and keys"
    ),
    "register venues and rate their area": _B(
        "登记场所并评定地区风险", "register venues and rate their area"
    ),
    "resident sign-in page": _B("居民登录页", "resident sign-in page"),
    "review a flagged scanner device (D2)": _B(
        "复核被标记的扫码设备", "review a flagged scanner device (D2)"
    ),
    "ruleset_approval": _B("审批规则", "ruleset approval"),
    "ruleset_draft": _B("起草规则", "ruleset draft"),
    "ruleset_dry_run": _B("试算规则", "ruleset dry run"),
    "ruleset_list": _B("列出规则版本", "ruleset list"),
    "see who holds my code": _B("查看谁绑定了我的健康码", "see who holds my code"),
    "self-report symptoms": _B("自报症状", "self-report symptoms"),
    "show a health code": _B("出示健康码", "show a health code"),
    "show my household's codes": _B("出示本户健康码", "show my household's codes"),
    "show who is signed in": _B("显示登录身份", "show who is signed in"),
    "sign in": _B("登录", "sign in"),
    "sign out": _B("退出登录", "sign out"),
    "staff console home": _B("工作台首页", "staff console home"),
    "staff sign-in page": _B("工作人员登录页", "staff sign-in page"),
    "submit facts of the registered categories": _B(
        "报送已登记类别的事实", "submit facts of the registered categories"
    ),
    "trust_list_exchange": _B("交换信任列表", "trust list exchange"),
    "trust_list_publication": _B("发布信任列表", "trust list publication"),
    "trust_registration": _B("登记受信任签发方", "trust registration"),
    "unbind a family member": _B("解绑家庭成员", "unbind a family member"),
    "venue_area_risk": _B("评定场所地区风险", "venue area risk"),
    "venue_list": _B("列出场所", "venue list"),
    "venue_registration": _B("登记场所", "venue registration"),
    "verify a health code at a venue's entrance": _B(
        "场所入口核验健康码", "verify a health code at a venue's entrance"
    ),
}


def named(table: dict[str, Bilingual], stored: str) -> Bilingual:
    """The reader's name for a stored word; the word itself where the table has none."""
    return table.get(stored) or Bilingual(stored, stored)

"""Signing in: residents with a phone number and a one-time code, staff with a password and a
second factor (TOTP), department systems with client credentials. Each ends in a session.

Failures name no account and no reason beyond what the caller may know: "wrong code", never
"no such user". Every attempt is audited under a pseudonym. A refusal is raised as `Refused`, on
which the unit of work commits, so the counters the attempt moved and its audit entry are kept.

Every limit is counted before the thing it guards is checked, by one statement whose returned
count decides (`services/limits.py`): forty parallel guesses cannot all read "four so far". Staff
and client failures count per account name and address, per address, and per account name; the
numbers are in `rulesets/limits.yaml` and why in ADR 0008.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Final, NoReturn

from healthcode.db.sessions_store import StoredSession
from healthcode.domain.identity import normalise_phone
from healthcode.domain.roles import Role
from healthcode.domain.text import Bilingual
from healthcode.security.passwords import decoy_hash, password_matches
from healthcode.security.pseudonyms import audit_pseudonym
from healthcode.security.totp import code_matches
from healthcode.services.limits import Attempt, hit, seconds_until_free, wait_text
from healthcode.services.messages import MessageSender, SenderUnavailableError
from healthcode.services.principals import Principal, PrincipalKind
from healthcode.services.refusals import Refusal, Refused
from healthcode.services.runtime import UnitOfWork

CODE_VALIDITY: Final = timedelta(minutes=5)
CODE_ATTEMPTS: Final = 5
UNKNOWN_SOURCE: Final = "unknown"  # no address known (the CLI, tests): all such callers share one
LIFETIMES: Final = {
    PrincipalKind.RESIDENT: timedelta(days=7),
    PrincipalKind.STAFF: timedelta(hours=8),
    PrincipalKind.CLIENT: timedelta(hours=1),
}


WRONG_CODE: Final = Refusal(
    401,
    "sign_in_failed",
    Bilingual("验证码错误或已过期，请重新获取。", "Wrong or expired code; ask for a new one."),
)
WRONG_CREDENTIALS: Final = Refusal(
    401,
    "sign_in_failed",
    Bilingual("账号、密码或动态口令错误。", "Wrong account, password or one-time password."),
)
TOO_MANY_ATTEMPTS: Final = Refusal(
    429,
    "too_many_attempts",
    Bilingual("尝试次数过多，请 15 分钟后再试。", "Too many attempts; try again in 15 minutes."),
)
SLOWED: Final = Refusal(
    429,
    "too_many_attempts",
    Bilingual(
        "该账号近期尝试次数过多，请 1 分钟后再试。",
        "Too many recent attempts at this account; try again in a minute.",
    ),
)
MISSING_PHONE: Final = Refusal(
    400, "phone_missing", Bilingual("请输入手机号码。", "Enter your mobile number."), "phone"
)
INVALID_PHONE: Final = Refusal(
    400,
    "invalid_phone",
    Bilingual("手机号码格式不正确。", "Not a valid mobile number."),
    "phone",
)
SENDER_UNAVAILABLE: Final = Refusal(
    503,
    "sender_unavailable",
    Bilingual("短信服务暂不可用，请稍后再试。", "Text messages cannot be sent now; try later."),
)


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str  # the bearer token: returned once, kept only as a keyed hash
    principal: Principal
    session: StoredSession


def send_sign_in_code(uow: UnitOfWork, sender: MessageSender, phone: str) -> None:
    phone = _canonical(phone)
    residents = uow.residents
    codes = uow.one_time_codes
    index = residents.phone_index(phone)
    target = audit_pseudonym(uow.runtime.vault, "phone", phone)
    budget = Attempt()
    # Spacing first: requests refused for coming too soon do not use up the hour's budget, so a
    # flood of requests cannot keep the phone's owner from a code for an hour.
    for name in ("sign_in_code_spacing", "sign_in_codes_hourly"):
        if not hit(uow, name, index.hex(), budget):
            uow.audit("sign-in.code", target, "throttled", f"limit={name}")
            raise Refused(too_many_codes(seconds_until_free(uow, name, index.hex())))
    code = f"{secrets.randbelow(10**6):06d}"
    try:
        # Sent before it is stored: a code the sender could not take is never kept (nor counted).
        sender.send(uow, phone, _code_message(code))
    except SenderUnavailableError:
        budget.release(uow)
        raise Refused(SENDER_UNAVAILABLE) from None
    codes.add(index, _code_index(uow, index, code), uow.now, uow.now + CODE_VALIDITY)
    uow.audit("sign-in.code", target)


def too_many_codes(seconds: int) -> Refusal:
    """A code asked for again too soon: how long to wait, in the text and in Retry-After."""
    wait = wait_text(seconds)
    return Refusal(
        429,
        "too_many_codes",
        Bilingual(f"验证码已发送，{wait.zh}。", f"A code was sent already; {wait.en}."),
        retry_after=seconds,
    )


def sign_in_resident(uow: UnitOfWork, phone: str, code: str) -> SignedIn:
    phone = _canonical(phone)
    residents = uow.residents
    codes = uow.one_time_codes
    index = residents.phone_index(phone)
    target = audit_pseudonym(uow.runtime.vault, "phone", phone)
    pending = codes.latest_pending(index, uow.now)
    # The attempt is counted before the code is compared, by the statement that also refuses the
    # sixth: only CODE_ATTEMPTS comparisons are ever made against one code.
    if pending is None or not codes.take_attempt(pending.id, CODE_ATTEMPTS):
        uow.audit("sign-in.resident", target, outcome="refused")
        raise Refused(WRONG_CODE)
    matches = secrets.compare_digest(pending.code_index, _code_index(uow, index, code.strip()))
    if not matches or not codes.use(pending.id, uow.now):
        uow.audit("sign-in.resident", target, outcome="refused")
        raise Refused(WRONG_CODE)
    account = residents.account_for(phone)
    if account is None:
        account = str(uuid.uuid4())
        residents.add(account, phone, uow.now)
    uow.audit("sign-in.resident", f"resident:{account}")
    return _session(uow, PrincipalKind.RESIDENT, account, resident_principal(account))


def sign_in_staff(
    uow: UnitOfWork, username: str, password: str, one_time: str, source: str = UNKNOWN_SOURCE
) -> SignedIn:
    """`source` is the caller's address as the web sees it (see `web/routes/auth.py`)."""
    staff = uow.staff
    name = username.strip()
    attempt = _admit(uow, "staff", name, source)
    account = staff.by_username(name)
    # An unknown name costs the same argon2 time as a known one: timing does not list accounts.
    matches = password_matches(account.password_hash if account else decoy_hash(), password)
    if account is None or not matches or account.disabled_at is not None:
        _refuse_as_failed(uow, "staff", name, audit_pseudonym(uow.runtime.vault, "staff", name))
    if not code_matches(staff.totp_secret(account.id), one_time, uow.now):
        _refuse_as_failed(uow, "staff", name, f"staff:{account.username}")
    attempt.release(uow)  # a success is not a failure: the holder's own tries are given back
    uow.audit("sign-in.staff", f"staff:{account.username}")
    principal = staff_principal(
        account.id, account.username, account.roles, account.region, account.institution
    )
    return _session(uow, PrincipalKind.STAFF, account.id, principal)


def sign_in_client(
    uow: UnitOfWork, client_id: str, secret: str, source: str = UNKNOWN_SOURCE
) -> SignedIn:
    name = client_id.strip()
    attempt = _admit(uow, "client", name, source)
    client = uow.clients.get(name)
    matches = password_matches(client.secret_hash if client else decoy_hash(), secret)
    if client is None or not matches or client.disabled_at is not None:
        _refuse_as_failed(uow, "client", name, audit_pseudonym(uow.runtime.vault, "client", name))
    attempt.release(uow)
    uow.audit("sign-in.client", f"client:{client.id}")
    principal = client_principal(client.id, client.categories, client.purpose)
    return _session(uow, PrincipalKind.CLIENT, client.id, principal)


def session_principal(uow: UnitOfWork, token: str) -> Principal | None:
    """The caller behind a bearer token, or None if the session ended or the account did."""
    session = uow.sessions.live(token, uow.now)
    if session is None:
        return None
    kind = PrincipalKind(session.kind)
    if kind is PrincipalKind.RESIDENT:
        return resident_principal(session.subject)
    if kind is PrincipalKind.STAFF:
        account = uow.staff.by_id(session.subject)
        if account is None or account.disabled_at is not None:
            return None
        return staff_principal(
            account.id, account.username, account.roles, account.region, account.institution
        )
    client = uow.clients.get(session.subject)
    if client is None or client.disabled_at is not None:
        return None
    return client_principal(client.id, client.categories, client.purpose)


def sign_out(uow: UnitOfWork, token: str) -> None:
    uow.sessions.revoke(token, uow.now)
    uow.audit("sign-out")


def resident_principal(account_id: str) -> Principal:
    return Principal(
        PrincipalKind.RESIDENT, account_id, f"resident:{account_id}", frozenset({Role.RESIDENT})
    )


def staff_principal(
    account_id: str,
    username: str,
    roles: tuple[str, ...],
    region: str | None,
    institution: str | None = None,
) -> Principal:
    return Principal(
        PrincipalKind.STAFF,
        account_id,
        f"staff:{username}",
        frozenset(Role(r) for r in roles),
        region,
        institution=institution,
    )


def client_principal(client_id: str, categories: tuple[str, ...], purpose: str) -> Principal:
    return Principal(
        PrincipalKind.CLIENT,
        client_id,
        f"client:{client_id}",
        frozenset({Role.DEPARTMENT}),
        categories=frozenset(categories),
        purpose=purpose,
    )


def _admit(uow: UnitOfWork, kind: str, name: str, source: str) -> Attempt:
    """Count the attempt before any password is checked, and refuse it past a limit.

    Each is counted only once the ones before it passed, in this order on every path (so parallel
    attempts take the counters' row locks in one order and cannot deadlock): an attacker stalled at
    their own address does not move the account's counter, and the holder elsewhere gets in.
    """
    attempt = Attempt()
    account = f"{kind}:{name}"
    target = audit_pseudonym(uow.runtime.vault, kind, name)
    for limit_name, subject in (("sign_in_account_source", f"{account}@{source}"),
                                ("sign_in_source", source)):  # fmt: skip
        if not hit(uow, limit_name, subject, attempt):
            uow.audit(f"sign-in.{kind}", target, "throttled", f"limit={limit_name}")
            wait = seconds_until_free(uow, limit_name, subject)
            raise Refused(replace(TOO_MANY_ATTEMPTS, retry_after=wait))
    # Past the account's ceiling, from anywhere, one attempt a minute is still checked: a spray
    # from many addresses is slowed to that, and the holder is delayed, never locked out.
    if not hit(uow, "sign_in_account", account, attempt) and not hit(
        uow, "sign_in_account_slowed", account, attempt
    ):
        uow.audit(f"sign-in.{kind}", target, "throttled", "limit=sign_in_account_slowed")
        wait = seconds_until_free(uow, "sign_in_account_slowed", account)
        raise Refused(replace(SLOWED, retry_after=wait))
    return attempt


def _refuse_as_failed(uow: UnitOfWork, kind: str, name: str, target: str) -> NoReturn:
    # The counters were moved when the attempt was admitted; a failure simply keeps them.
    uow.audit(f"sign-in.{kind}", target, outcome="refused")
    raise Refused(WRONG_CREDENTIALS)


def _session(uow: UnitOfWork, kind: PrincipalKind, subject: str, principal: Principal) -> SignedIn:
    token = secrets.token_urlsafe(32)
    session = StoredSession(kind.value, subject, uow.now, uow.now + LIFETIMES[kind])
    uow.sessions.add(token, session)
    return SignedIn(token, principal, session)


def _canonical(phone: str) -> str:
    """One number, one account: every spelling of it (+86, spaces) is indexed in one form."""
    if not phone.strip():
        raise Refused(MISSING_PHONE)
    canonical = normalise_phone(phone)
    if canonical is None:
        raise Refused(INVALID_PHONE)
    return canonical


def _code_index(uow: UnitOfWork, phone_index: bytes, code: str) -> bytes:
    return uow.runtime.vault.blind_index("sign-in-code", f"{phone_index.hex()}:{code}")


def _code_message(code: str) -> Bilingual:
    return Bilingual(
        f"【健康码】您的登录验证码是 {code}，5 分钟内有效。"
        "工作人员不会向您索要验证码，请勿告诉他人。",
        f"[HealthCode] Your sign-in code is {code}, valid for 5 minutes. Never share it: "
        "staff will never ask for it.",
    )

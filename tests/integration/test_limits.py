"""Limits that hold under concurrency and cannot be turned against the user (issue #11), on
SQLite and PostgreSQL: parallel requests are real threads, each in its own transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from builders import ManualClock, operator, resident_id
from healthcode.db.schema import audit_log, one_time_codes
from healthcode.domain.areas import RiskLevel
from healthcode.domain.facts import PersonKey
from healthcode.domain.identity import IdType
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.security.totp import code_at
from healthcode.services.accounts import NewStaff, create_staff
from healthcode.services.checkpoint.alternatives import check_by_registration
from healthcode.services.checkpoint.scans import ScanReplayError, record_scan
from healthcode.services.checkpoint.venues import register_device, register_venue
from healthcode.services.limits import limit
from healthcode.services.messages import OutboxSender
from healthcode.services.refusals import Refused
from healthcode.services.runtime import Actor, Runtime
from healthcode.services.sign_in import send_sign_in_code, sign_in_resident, sign_in_staff
from healthcode.tokens.jwk import public_jwk
from healthcode.tokens.scan_reports import ScanDecision, ScanRequest, sign_scan_request

PARALLEL = 40
PHONE = "13900000111"


def staff_member(runtime: Runtime, name: str = "approver") -> NewStaff:
    with runtime.unit_of_work(operator()) as uow:
        return create_staff(uow, name, [Role.RULE_APPROVER])


def outcome(runtime: Runtime, act: Callable[..., object], *args: object) -> str:
    """'ok', or the refusal's HTTP status, for one attempt in its own unit of work."""
    try:
        with runtime.unit_of_work(operator("public", "sign in")) as uow:
            act(uow, *args)
    except Refused as refused:
        return str(refused.refusal.status)
    return "ok"


def in_parallel(count: int, attempt: Callable[[int], str]) -> Counter[str]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return Counter(pool.map(attempt, range(count)))


def audited(runtime: Runtime, action: str) -> Counter[str]:
    with runtime.engine.connect() as connection:
        outcomes = connection.scalars(
            select(audit_log.c.outcome).where(audit_log.c.action == action)
        )
        return Counter(outcomes)


def test_forty_parallel_wrong_passwords_have_exactly_five_checked__D2(runtime: Runtime) -> None:
    staff_member(runtime)

    def guess(n: int) -> str:
        return outcome(runtime, sign_in_staff, "approver", f"guess {n}", "000000", "10.0.0.9")

    answers = in_parallel(PARALLEL, guess)
    assert answers == Counter({"401": 5, "429": PARALLEL - 5})
    # "refused" is written only after the password was checked; "throttled" before any check.
    assert audited(runtime, "sign-in.staff") == Counter({"refused": 5, "throttled": PARALLEL - 5})


def test_forty_parallel_code_guesses_are_counted_exactly_five__D2(runtime: Runtime) -> None:
    with runtime.unit_of_work(operator("public", "sign in")) as uow:
        send_sign_in_code(uow, OutboxSender(), PHONE)

    def guess(n: int) -> str:
        return outcome(runtime, sign_in_resident, PHONE, f"{n:06d}")

    answers = in_parallel(PARALLEL, guess)
    assert answers["ok"] <= 1  # one of the guesses may be the code: 1 in 25,000
    with runtime.engine.connect() as connection:
        assert connection.scalar(select(one_time_codes.c.attempts)) == 5


def test_the_holder_signs_in_from_elsewhere_while_a_guesser_is_stalled__D2(
    runtime: Runtime, clock: ManualClock
) -> None:
    new = staff_member(runtime)
    attacker = "203.0.113.7"
    guesses = [
        outcome(runtime, sign_in_staff, "approver", "guess", "000000", attacker) for _ in range(8)
    ]
    assert guesses == ["401"] * 5 + ["429"] * 3
    otp = code_at(new.totp_secret, clock.now())
    assert outcome(runtime, sign_in_staff, "approver", new.password, otp, "10.1.2.3") == "ok"
    # The guesser's address stays stalled, right password or not.
    assert outcome(runtime, sign_in_staff, "approver", new.password, otp, attacker) == "429"


def test_a_spray_from_many_addresses_is_slowed_not_locked__D2(
    runtime: Runtime, clock: ManualClock
) -> None:
    new = staff_member(runtime)
    spray = [
        outcome(runtime, sign_in_staff, "approver", "guess", "000000", f"198.51.100.{n}")
        for n in range(14)
    ]
    # Ten failures from anywhere, then one checked attempt a minute for the account.
    assert spray == ["401"] * 11 + ["429"] * 3
    clock.instant += timedelta(seconds=61)
    otp = code_at(new.totp_secret, clock.now())
    assert outcome(runtime, sign_in_staff, "approver", new.password, otp, "10.1.2.3") == "ok"
    assert audited(runtime, "sign-in.staff")["throttled"] == 3


def test_a_flood_of_code_requests_does_not_use_up_the_hour__D2(
    runtime: Runtime, clock: ManualClock
) -> None:
    sender = OutboxSender()
    answers = [outcome(runtime, send_sign_in_code, sender, PHONE) for _ in range(20)]
    assert answers == ["ok"] + ["429"] * 19
    for _ in range(4):
        clock.instant += timedelta(seconds=61)
        assert outcome(runtime, send_sign_in_code, sender, PHONE) == "ok"
    clock.instant += timedelta(seconds=61)
    assert outcome(runtime, send_sign_in_code, sender, PHONE) == "429"  # five in the hour


def test_a_success_gives_its_attempt_back__D2(runtime: Runtime, clock: ManualClock) -> None:
    new = staff_member(runtime)
    source = "10.0.0.1"
    for _ in range(6):  # more sign-ins than the limit, in a day's work, never stall the holder
        otp = code_at(new.totp_secret, clock.now())
        assert outcome(runtime, sign_in_staff, "approver", new.password, otp, source) == "ok"
    for _ in range(4):
        assert outcome(runtime, sign_in_staff, "approver", "typo", "000000", source) == "401"
    otp = code_at(new.totp_secret, clock.now())
    assert outcome(runtime, sign_in_staff, "approver", new.password, otp, source) == "ok"


def test_forty_parallel_look_ups_by_one_staff_member_admit_exactly_the_limit__S4_D2(
    runtime: Runtime,
) -> None:
    staff = Actor("staff:gate-3", "checkpoint", "entry_check")
    stranger = PersonKey(IdType.RESIDENT_ID, resident_id(birth="19450404", seq="202"))

    def look_up(_: int) -> str:
        try:
            with runtime.unit_of_work(staff) as uow:
                check_by_registration(uow, stranger, Venue.MALL, RiskLevel.MEDIUM, name="王五")
        except Refused as refused:
            return str(refused.refusal.status)
        return "ok"

    allowed = limit("lookup_per_staff_minute").count
    assert in_parallel(PARALLEL, look_up) == Counter({"ok": allowed, "429": PARALLEL - allowed})
    assert audited(runtime, "checkpoint.lookup") == Counter({"throttled": PARALLEL - allowed})


def test_forty_parallel_copies_of_one_scan_report_are_accepted_once__D2(runtime: Runtime) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    with runtime.unit_of_work(operator("system_admin", "venue registration")) as uow:
        register_venue(uow, "mall", "银泰", Venue.MALL, "330106", RiskLevel.MEDIUM)
        register_device(uow, "gate-1", "mall", public_jwk(key.public_key()))
    request = ScanRequest("gate-1", runtime.clock.now(), ScanDecision.ALLOW, subject="c3ViamVjdA")
    captured = sign_scan_request(request, key)

    def send(_: int) -> str:
        with runtime.unit_of_work(operator("scanner", "record a scan")) as uow:
            try:
                return record_scan(uow, "gate-1", captured).decision.value
            except ScanReplayError:
                return "replay"

    assert in_parallel(PARALLEL, send) == Counter({"allow": 1, "replay": PARALLEL - 1})

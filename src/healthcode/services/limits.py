"""Limits applied: one hit counted by one statement, checked on the count that statement returned.

What is counted is named by a keyed hash (`limit:<name>:<subject>`), so a counter names no account,
address or phone. A refusal past a limit is audited and raised as `Refused`; the unit of work
commits on it, so the hit and the audit entry that refused it are both kept.

Where the shared state is Redis (several processes, ADR 0019) the counters live there: one INCR,
no row written by every request; a Redis that cannot be reached hands the count to the database
counter (ADR 0008), so a limit always holds. Without Redis, the database counts.
"""

from __future__ import annotations

import math
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import timedelta

from healthcode.db.shared_state import SharedStateDownError
from healthcode.domain.limits import Limit
from healthcode.domain.text import Bilingual
from healthcode.rulesets import default_limits
from healthcode.services.refusals import Refusal, Refused
from healthcode.services.runtime import UnitOfWork


@dataclass(slots=True)
class Attempt:
    """The counters one attempt has hit, given back if the attempt turns out not to count."""

    keys: list[tuple[bytes, bool]] = field(default_factory=list)  # (key, counted in Redis)

    def release(self, uow: UnitOfWork) -> None:
        for key, shared in self.keys:
            if not shared:
                uow.limits.release(key)
                continue
            # Unreachable: the hit stays counted until its window ends (stricter, never looser).
            with suppress(SharedStateDownError):
                uow.runtime.shared.uncount(_shared_key(key))
        self.keys.clear()


def count_hit(uow: UnitOfWork, key: bytes, window: timedelta) -> tuple[int, bool]:
    """One more hit on the counter `key` (a keyed hash) within `window`: the count with it, and
    whether Redis counted it (else the database did)."""
    shared = uow.runtime.shared
    if shared.shared_across_processes:
        try:
            return shared.count(_shared_key(key), window.total_seconds()), True
        except SharedStateDownError:
            pass  # the database counts instead: the limit holds, from a count of its own
    (count,) = uow.count_limit_hits([(key, window, 0)])  # one counter: no later one to spare
    return count, False


def _shared_key(key: bytes) -> str:
    return f"limit:{key.hex()}"


def limit(name: str) -> Limit:
    return default_limits()[name]


def hit(uow: UnitOfWork, name: str, subject: str, attempt: Attempt | None = None) -> bool:
    """Count one hit on `name` for `subject`; True while within the limit."""
    rule = limit(name)
    key = uow.runtime.vault.blind_index("limit", f"{name}:{subject}")
    count, shared = count_hit(uow, key, rule.window)
    if attempt is not None:
        attempt.keys.append((key, shared))
    return count <= rule.count


def seconds_until_free(uow: UnitOfWork, name: str, subject: str) -> int:
    """How long until `subject` may hit `name` again: the rest of the current window (≥ 1 s)."""
    rule = limit(name)
    key = uow.runtime.vault.blind_index("limit", f"{name}:{subject}")
    start = uow.limits.window_start(key)
    if start is None:
        return 1
    left = (start + rule.window - uow.now).total_seconds()
    return max(1, math.ceil(left))


def wait_text(seconds: int) -> Bilingual:
    """The wait in words (请 45 秒后再试, try again in 45 seconds); whole minutes past two."""
    if seconds < 120:
        return Bilingual(f"请 {seconds} 秒后再试", f"try again in {seconds} seconds")
    minutes = math.ceil(seconds / 60)
    return Bilingual(f"请 {minutes} 分钟后再试", f"try again in {minutes} minutes")


def hold(uow: UnitOfWork, name: str, subject: str, action: str, target: str | None) -> None:
    """Count one hit and refuse (429, audited under `action`) past the limit."""
    if not hit(uow, name, subject):
        _refuse(uow, name, subject, action, target)


def _refuse(uow: UnitOfWork, name: str, subject: str, action: str, target: str | None) -> None:
    uow.audit(action, target, "throttled", f"limit={name}")
    wait = seconds_until_free(uow, name, subject)
    raise Refused(replace(rate_limited(limit(name)), retry_after=wait))


def hold_staff(uow: UnitOfWork, what: str, action: str, target: str | None) -> None:
    """The staff member's `<what>_per_staff_minute` and `…_hour` limits, the minute first (a
    request refused for the minute does not use up the hour)."""
    names = [f"{what}_per_staff_{span}" for span in ("minute", "hour")]
    if uow.runtime.shared.shared_across_processes:
        for name in names:
            hold(uow, name, uow.actor.name, action, target)
        return
    # Counted by the database: both counters in one statement batch (one wait for a reading
    # unit of work's group commit, not two).
    rules = [limit(name) for name in names]
    keys = [uow.runtime.vault.blind_index("limit", f"{name}:{uow.actor.name}") for name in names]
    counts = uow.count_limit_hits(
        [(key, rule.window, rule.count) for key, rule in zip(keys, rules, strict=True)]
    )
    for name, rule, count in zip(names, rules, counts, strict=False):
        if count > rule.count:
            _refuse(uow, name, uow.actor.name, action, target)


def purge_counters(uow: UnitOfWork) -> int:
    """Forget counters whose window is over: the longest window ago, nothing they hold counts."""
    longest = max(rule.window for rule in default_limits().by_name.values())
    return uow.limits.purge(uow.now - longest)


def rate_limited(rule: Limit) -> Refusal:
    seconds = int(rule.window.total_seconds())
    minutes = seconds // 60
    if seconds % 60:
        span_zh, span_en = f"{seconds} 秒", f"{seconds} seconds"
    else:
        span_zh, span_en = f"{minutes} 分钟", "a minute" if minutes == 1 else f"{minutes} minutes"
    return Refusal(
        429,
        "rate_limited",
        Bilingual(
            f"操作过于频繁（每 {span_zh}最多 {rule.count} 次），请稍后再试。",
            f"Too many requests (at most {rule.count} in {span_en}); try again later.",
        ),
    )

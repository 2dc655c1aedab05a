"""Limits as data (issue #11): the bundled file and what a limits document may say."""

from __future__ import annotations

from datetime import timedelta

import pytest

from healthcode.domain.documents import RulesetError
from healthcode.domain.limits import parse_limits
from healthcode.rulesets import default_limits
from healthcode.services.limits import rate_limited


def test_the_bundled_limits_let_a_busy_gate_through__D2_S4() -> None:
    limits = default_limits()
    assert limits["verify_per_staff_minute"].count >= 20 * 3  # three times a fast lane's pace
    assert limits["sign_in_account_source"].count < limits["sign_in_account"].count
    assert limits["sign_in_account_slowed"].window == timedelta(minutes=1)


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({}, "limits"),
        ({"limits": {"x": 5}}, "limits.x"),
        ({"limits": {"x": {"count": 0, "seconds": 60}}}, "limits.x.count"),
        ({"limits": {"x": {"count": 5, "seconds": "1m"}}}, "limits.x.seconds"),
        ({"limits": {"x": {"count": True, "seconds": 60}}}, "limits.x.count"),
    ],
)
def test_a_limit_without_a_whole_count_and_window_is_refused__D2(
    document: dict[str, object], where: str
) -> None:
    with pytest.raises(RulesetError) as refused:
        parse_limits(document)
    assert refused.value.where == where


@pytest.mark.parametrize(
    ("seconds", "zh", "en"),
    [
        (60, "每 1 分钟最多 3 次", "at most 3 in a minute"),
        (30, "每 30 秒最多 3 次", "in 30 seconds"),
    ],
)
def test_a_throttled_answer_says_the_limit_in_both_languages__D2(
    seconds: int, zh: str, en: str
) -> None:
    limits = parse_limits({"limits": {"x": {"count": 3, "seconds": seconds}}})
    refusal = rate_limited(limits["x"])
    assert (refusal.status, refusal.code) == (429, "rate_limited")
    assert zh in refusal.text.zh
    assert en in refusal.text.en

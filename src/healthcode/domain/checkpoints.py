"""No phone, never refused (S4): the other credentials a checkpoint accepts, and their decisions.

A person without a smartphone passes with their own negative nucleic-acid test of the last 7
days, a paper code, registration with a valid identity document, a community's or medical
institution's paper certificate, or with the telecom itinerary card as auxiliary proof. Each
alternative stands in for the phone, not for the person's status: the venue policy (M3, M5, S2)
is applied to the colour the rules gave them, or to green (A4) when nothing is on file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from healthcode.domain.facts import Fact, Test, TestKind, TestResult
from healthcode.domain.text import Bilingual
from healthcode.domain.venues import VenueDecision, Verdict

S4: Final = "S4"
TEST_VALIDITY: Final = timedelta(days=7)


class Method(StrEnum):
    TEST = "test"  # 7日内本人核酸检测阴性证明
    REGISTRATION = "registration"  # 凭有效身份证件登记 (staff look the person up: 工作人员代查)
    CERTIFICATE = "certificate"  # 社区或医疗机构开具的有效纸质证明
    ITINERARY_CARD = "itinerary_card"  # 通信行程卡, auxiliary proof together with registration


# How each credential is named when a decision explains itself or lists the other ways in.
_NAMES: Final[Mapping[str, Bilingual]] = {
    "paper_code": Bilingual("纸质健康码", "a paper health code"),
    Method.TEST: Bilingual(
        "7日内本人核酸检测阴性证明", "a negative nucleic-acid test of the last 7 days"
    ),
    Method.REGISTRATION: Bilingual(
        "有效身份证件登记", "registration with a valid identity document"
    ),
    Method.CERTIFICATE: Bilingual(
        "社区或医疗机构开具的纸质证明",
        "a paper certificate from a community or medical institution",
    ),
    Method.ITINERARY_CARD: Bilingual(
        "通信行程卡（辅助证明，须同时登记）",
        "the telecom itinerary card (auxiliary, with registration)",
    ),
}


@dataclass(frozen=True, slots=True)
class CheckpointDecision:
    """A checkpoint's decision (SPEC §2 shape), how it was reached, and what the staff were shown.

    `shown` holds masked or non-identifying values only: never an identity number (D2).
    """

    method: Method
    verdict: Verdict
    clauses: tuple[str, ...]
    reason: Bilingual
    shown: Mapping[str, str | None] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "decision": self.verdict.value,
            "clauses": list(self.clauses),
            "reason": self.reason.as_dict(),
            "method": self.method.value,
            "shown": dict(self.shown),
        }


def recent_negative_test(facts: Iterable[Fact], now: datetime) -> Test | None:
    """The person's latest nucleic-acid test known by `now`, if it is negative and was sampled
    within the last 7 days; a later positive result supersedes an earlier negative one."""
    known = [
        fact.payload
        for fact in facts
        if isinstance(fact.payload, Test)
        and fact.payload.kind is TestKind.NUCLEIC_ACID
        and fact.occurred_at <= now
        and now - TEST_VALIDITY <= fact.payload.sampled_at <= now
    ]
    if not known:
        return None
    # On equal sampling instants the positive result counts: the safe reading.
    latest = max(known, key=lambda test: (test.sampled_at, test.result is TestResult.POSITIVE))
    return latest if latest.result is TestResult.NEGATIVE else None


def on_credential(
    method: Method,
    basis: Bilingual,
    venue: VenueDecision,
    shown: Mapping[str, str | None],
    extra_clauses: tuple[str, ...] = (),
) -> CheckpointDecision:
    """The venue's decision, reached on a credential other than the code (`basis` says which)."""
    clauses = tuple(dict.fromkeys((S4, *extra_clauses, *venue.clauses)))
    basis_en = basis.en[:1].upper() + basis.en[1:]
    reason = Bilingual(f"{basis.zh}；{venue.reason.zh}", f"{basis_en}; {venue.reason.en}")
    return CheckpointDecision(method, venue.verdict, clauses, reason, shown)


def without_credential(
    method: Method, missing: Bilingual, shown: Mapping[str, str | None], venue: VenueDecision
) -> CheckpointDecision:
    """Refused on this credential only: the reason lists the other ways in (S4).

    Where the venue checks nothing (S2), a missing or bad credential changes nothing either: no
    condition is added on top (D1).
    """
    if venue.verdict is Verdict.NOT_CHECKED:
        clauses = tuple(dict.fromkeys((S4, *venue.clauses)))
        return CheckpointDecision(method, Verdict.NOT_CHECKED, clauses, venue.reason, shown)
    reason = _with_alternatives(method, missing)
    return CheckpointDecision(method, Verdict.DENY, (S4,), reason, shown)


def other_ways_in(method: Method | None = None) -> list[Bilingual]:
    """The credentials a checkpoint accepts besides `method` (None: besides the phone's code)."""
    return [name for key, name in _NAMES.items() if key != method]


def _with_alternatives(method: Method, missing: Bilingual) -> Bilingual:
    others = other_ways_in(method)
    return Bilingual(
        f"{missing.zh}。可改用：{'、'.join(name.zh for name in others)}",
        f"{missing.en}. Other ways in: {', '.join(name.en for name in others)}",
    )


def name_of(method: Method) -> Bilingual:
    return _NAMES[method]

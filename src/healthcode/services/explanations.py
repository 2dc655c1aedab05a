"""Why a code has its colour, in words a resident reads (A2, A3, A4, M1, M3, M5).

The reasons and "how to turn green" texts come from the rules that fired, in the ruleset version
that decided the stored state, so an explanation never drifts from the decision it explains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from typing import Any, Final

from healthcode.db.states import StoredState
from healthcode.domain.rules import Colour, Measure, Rule, Ruleset, parse_ruleset
from healthcode.domain.text import Bilingual
from healthcode.rulesets import default_ruleset
from healthcode.services.runtime import UnitOfWork


@dataclass(frozen=True, slots=True)
class Reason:
    rule: str
    clause: str
    reason: Bilingual
    to_green: Bilingual

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "clause": self.clause,
            "reason": self.reason.as_dict(),
            "to_green": self.to_green.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    colour: Colour
    reasons: tuple[Reason, ...]
    measure: Measure | None
    since: datetime
    next_review_at: datetime | None

    @property
    def measure_text(self) -> Bilingual | None:
        return None if self.measure is None else MEASURES[self.measure]

    @property
    def guidance(self) -> Bilingual:
        """What the colour allows (M1, M3, M5): the same for everyone with that colour."""
        return GUIDANCE[self.colour]


def explanation_for(uow: UnitOfWork, person_id: str) -> Explanation | None:
    """Why the person's stored code has its colour; None before they have one."""
    state = uow.states.get_many([person_id]).get(person_id)
    return None if state is None else explain(uow, state)


def explain(uow: UnitOfWork, state: StoredState) -> Explanation:
    rules = _rules(uow, state.ruleset)
    reasons = tuple(
        Reason(rule.id, rule.clause, rule.reason, rule.to_green)
        for rule_id in state.decision.get("rules") or ()
        if (rule := rules.get(str(rule_id))) is not None
    )
    measure = state.decision.get("measure")
    return Explanation(
        Colour(state.colour),
        reasons,
        None if measure is None else Measure(measure),
        state.since,
        state.next_review_at,
    )


_parsed: dict[str, dict[str, Rule]] = {}
_lock = Lock()


def _rules(uow: UnitOfWork, label: str) -> dict[str, Rule]:
    """The rules of a ruleset version by id; a stored version never changes, so it is kept."""
    with _lock:
        known = _parsed.get(label)
    if known is not None:
        return known
    ruleset = _ruleset(uow, label)
    rules = {} if ruleset is None else {rule.id: rule for rule in ruleset.all_rules}
    with _lock:
        if len(_parsed) > 64:  # a handful of versions are ever in use at once
            _parsed.clear()
        _parsed[label] = rules
    return rules


def _ruleset(uow: UnitOfWork, label: str) -> Ruleset | None:
    bundled = default_ruleset()
    if label == bundled.label:
        return bundled
    ruleset_id, _, version = label.partition("@")
    stored = uow.rulesets.get(ruleset_id, version)
    return None if stored is None else parse_ruleset(stored.document)


MEASURES: Final = {
    Measure.HOSPITAL_TREATMENT: Bilingual(
        "到定点医疗机构接受治疗；外出须点对点闭环转运。",
        "Treatment at a designated hospital; any movement only in closed, point-to-point "
        "transport.",
    ),
    Measure.HOSPITAL_ISOLATION: Bilingual(
        "在定点医疗机构集中隔离医学观察；外出须点对点闭环转运。",
        "Isolation and medical observation at a designated hospital; any movement only in "
        "closed, point-to-point transport.",
    ),
    Measure.CENTRALIZED_ISOLATION: Bilingual(
        "原则上实施集中隔离医学观察；外出须点对点闭环转运。",
        "Centralised isolation and medical observation in principle; any movement only in "
        "closed, point-to-point transport.",
    ),
    Measure.HOME_ISOLATION: Bilingual(
        "居家隔离医学观察；外出须点对点闭环转运。",
        "Isolation and medical observation at home; any movement only in closed, "
        "point-to-point transport.",
    ),
}

GUIDANCE: Final = {
    Colour.RED: Bilingual(
        "红码：禁止流动，请按要求接受管理措施。",
        "Red: no movement; follow the measure below.",
    ),
    Colour.YELLOW: Bilingual(
        "黄码：做好防护可外出，但不乘坐公共交通，不参加聚集性活动，不进入车站、机场、码头、"
        "农贸市场、商场超市、室内和密闭场所、学校、养老院、福利院、监管场所，除本人就医外不进入"
        "医疗机构；建议不离开所在设区市。",
        "Yellow: you may go out with protection, but no public transport, no gatherings, no "
        "stations, airports or ports, markets, malls, indoor or enclosed venues, schools, "
        "elderly or welfare homes or prisons, and no medical institution except for your own "
        "treatment; please stay within your city.",
    ),
    Colour.GREEN: Bilingual(
        "绿码：可自由进出公共场所。",
        "Green: free access to public places.",
    ),
}

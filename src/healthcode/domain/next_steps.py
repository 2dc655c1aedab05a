"""What a person can do next about their code, and when it may change (A3, A4, M1–M5).

Every colour's card says both: a yellow one for self-reported symptoms that a negative test or
"symptoms resolved" turns it green, a red one that the measure ends it, and each when: at the
instant of the next review where time alone changes the code, else as soon as the new record
arrives. Steps are keyed by the rules that fired; for a rule this table does not know (a new
ruleset version), the card's reasons still say how it turns green, from the rule itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from healthcode.domain.rules import Colour
from healthcode.domain.text import Bilingual


class Action(StrEnum):
    """A step the resident takes on their own pages, linked from the card."""

    SYMPTOMS_RESOLVED = "symptoms_resolved"
    REPORT_SYMPTOMS = "report_symptoms"
    APPEAL = "appeal"


@dataclass(frozen=True, slots=True)
class NextStep:
    text: Bilingual
    action: Action | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "text": self.text.as_dict(),
            "action": None if self.action is None else self.action.value,
        }


NEGATIVE_TEST: Final = NextStep(
    Bilingual(
        "做一次核酸检测：阴性结果由检测机构上报后，健康码即转为绿码",
        "Take a nucleic-acid test: once the lab reports a negative result, the code turns green",
    )
)
SYMPTOMS_RESOLVED: Final = NextStep(
    Bilingual(
        "症状已消除？申报“症状已消除”，健康码即转为绿码",
        "Symptoms gone? Report “symptoms resolved” and the code turns green",
    ),
    Action.SYMPTOMS_RESOLVED,
)
FOLLOW_THE_MEASURE: Final = NextStep(
    Bilingual(
        "按上面的管理措施执行；措施按规定结束并由负责部门记录后自动转码，无需申请",
        "Follow the measure above; when it ends as prescribed and the responsible department "
        "records it, the code changes by itself: nothing to apply for",
    )
)
STAY_OBSERVED: Final = NextStep(
    Bilingual(
        "居家健康观察期间做好防护、每日测体温；观察结束由社区记录后自动转为绿码",
        "During home health observation wear a mask and take your temperature daily; when the "
        "community records its end, the code turns green by itself",
    )
)
KEEP_GREEN: Final = NextStep(
    Bilingual(
        "无需办理任何事项。如出现发热、气促等症状，请如实申报",
        "Nothing to do. If you get a fever, shortness of breath or other symptoms, report them",
    ),
    Action.REPORT_SYMPTOMS,
)
APPEAL: Final = NextStep(
    Bilingual(
        "认为颜色有误？可在线申诉或拨打 12345",
        "Think the colour is wrong? Appeal online or call 12345",
    ),
    Action.APPEAL,
)

BY_RULE: Final[dict[str, tuple[NextStep, ...]]] = {
    "yellow-symptoms": (NEGATIVE_TEST, SYMPTOMS_RESOLVED),
    "yellow-home-observation": (STAY_OBSERVED,),
}

# When the code may change, if no instant of review says it.
ON_RECORD: Final = Bilingual(
    "新的检测结果、申报或解除记录一到，即自动重新赋码（无需等待，也无需申请）",
    "As soon as the new test result, report or release is on record, the code is decided "
    "again: no waiting and nothing to apply for",
)
STAYS_GREEN: Final = Bilingual(
    "保持绿码，除非有新的记录", "It stays green unless something new is on record"
)


def next_steps(colour: Colour, rules: Iterable[str], measured: bool) -> list[NextStep]:
    """The steps for the rules that fired (their ids), in order, once each.

    `measured`: a red code carries a management measure (M1), which is then the first step.
    """
    steps: list[NextStep] = []
    if colour is Colour.GREEN:
        steps.append(KEEP_GREEN)
    elif colour is Colour.RED and measured:
        steps.append(FOLLOW_THE_MEASURE)
    if colour is not Colour.GREEN:  # a green code's rules (an override, a flag) need nothing
        for rule_id in rules:
            steps.extend(BY_RULE.get(rule_id, ()))
    if colour is not Colour.GREEN:
        steps.append(APPEAL)
    return list(dict.fromkeys(steps))


def when_it_may_change(colour: Colour, next_review_at: datetime | None) -> Bilingual | None:
    """Words for when the code may change; None when an instant of review says it."""
    if next_review_at is not None:
        return None
    return STAYS_GREEN if colour is Colour.GREEN else ON_RECORD

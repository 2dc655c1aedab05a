"""What residents and checkpoint staff read names no clause of the notice: a clause id such as
"(M2)" means nothing to them (the decision carries its clauses apart, for the record)."""

from __future__ import annotations

import re

import pytest

from healthcode.domain.certificates import REFUSALS, STATEMENT_TEXTS
from healthcode.domain.checkpoints import Method, other_ways_in
from healthcode.domain.text import Bilingual
from healthcode.rulesets import default_ruleset, default_venue_policy
from healthcode.services.checkpoint import alternatives
from healthcode.services.codes.verification import _alternatives
from healthcode.services.explanations import GUIDANCE, MEASURES
from healthcode.tokens import Rejection

CLAUSE_ID = re.compile(r"[(（]\s*[A-DMS]\d+\b")


def texts() -> dict[str, Bilingual]:
    found: dict[str, Bilingual] = {}
    for rule in default_ruleset().all_rules:
        found[f"rule {rule.id} reason"] = rule.reason
        found[f"rule {rule.id} to_green"] = rule.to_green
    policy = default_venue_policy()
    entries = [policy.low_risk_checked, *policy.deny, *policy.allow]
    entries += [] if policy.scanned_anyway is None else [policy.scanned_anyway]
    found |= {f"venue entry {entry.id}": entry.reason for entry in entries}
    found |= {f"guidance {colour}": text for colour, text in GUIDANCE.items()}
    found |= {f"measure {measure}": text for measure, text in MEASURES.items()}
    found |= {f"statement {key}": text for key, text in STATEMENT_TEXTS.items()}
    found |= {f"certificate refusal {key}": text for key, text in REFUSALS.items()}
    found |= {f"code refusal {r}": _alternatives(r).reason for r in Rejection}
    for method in Method:
        names = other_ways_in(method)
        joined = Bilingual("、".join(n.zh for n in names), ", ".join(n.en for n in names))
        found[f"other ways in besides {method}"] = joined
    for name in ("_NO_TEST", "_REGISTERED_NEW", "_RISK_CARD"):
        found[f"checkpoint {name}"] = getattr(alternatives, name)
    return found


TEXTS = sorted(texts().items())


@pytest.mark.parametrize(("where", "text"), TEXTS, ids=[where for where, _ in TEXTS])
def test_no_clause_id_in_what_people_read(where: str, text: Bilingual) -> None:
    for said in (text.zh, text.en):
        assert not CLAUSE_ID.search(str(said)), f"{where}: {said}"

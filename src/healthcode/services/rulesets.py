"""Rulesets over time (A5): draft, second-person approval, dry run, activation at valid-from."""

from __future__ import annotations

from healthcode.domain.rules import Ruleset, parse_ruleset
from healthcode.rulesets import default_ruleset
from healthcode.services.runtime import UnitOfWork


def active_ruleset(uow: UnitOfWork) -> Ruleset:
    """The approved ruleset in force now; the bundled default until one is approved."""
    stored = uow.rulesets.in_force(uow.now)
    return default_ruleset() if stored is None else parse_ruleset(stored.document)

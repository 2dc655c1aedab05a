"""Rulesets over time (A5): draft, second-person approval, dry run, activation at valid-from.

A version is stored as a draft by its author and approved by someone else; it is in force from its
valid-from instant on (`active_ruleset`). Activation then brings every stored code under it: a
population job re-evaluates everyone, by partitions, a page a transaction, in the background.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from healthcode.db.rulesets_store import COLOURS, DRAFT, FOREIGN_ACCEPTANCE, StoredRuleset
from healthcode.domain.columnar.rulesets import compile_ruleset
from healthcode.domain.documents import RulesetError
from healthcode.domain.regions import prefecture_of
from healthcode.domain.rules import Ruleset, parse_ruleset
from healthcode.domain.text import Bilingual
from healthcode.foreign.acceptance import parse_acceptance
from healthcode.services.dashboard import region_name
from healthcode.services.deciding import columnar_decisions, compiled_ruleset
from healthcode.services.evaluation import active_ruleset
from healthcode.services.population_jobs import JobKind, JobProgress, job_progress, start_everyone
from healthcode.services.refusals import NOT_FOUND, Refusal, Refused
from healthcode.services.runtime import UnitOfWork

BATCH = 1000
UNKNOWN_REGION = "unknown"
# The widths of the columns that hold a version's id, its number and its label (id@version).
_MAX_ID, _MAX_VERSION, _MAX_LABEL = 64, 32, 96

Move = tuple[str | None, str]  # stored colour (None: no code yet) → colour under the candidate


SECOND_PERSON_REQUIRED: Final = Refusal(
    409,
    "second_person_required",
    Bilingual(
        "起草人不能审批自己起草的规则，须由另一人审批。",
        "The author cannot approve their own draft; a second, different person must approve it.",
    ),
)
ALREADY_APPROVED: Final = Refusal(
    409,
    "already_approved",
    Bilingual("该版本已审批，不能再次审批。", "This version is already approved."),
)


def invalid_ruleset(error: RulesetError) -> Refusal:
    # A ruleset holds no personal data, so its problem can be named for its author.
    return Refusal(
        422,
        "invalid_ruleset",
        Bilingual(f"规则集有误：{error.reason}", f"The ruleset is not valid: {error.reason}"),
        error.where,
    )


def draft_ruleset(uow: UnitOfWork, document: Mapping[str, Any]) -> StoredRuleset:
    """Store a new version, checked completely, as a draft by the acting person.

    A document of `kind: foreign-acceptance` is a version of the acceptance rules of foreign
    certificates (foreign/acceptance.py): the same lifecycle, in force apart from the colours.
    """
    try:
        stored_form = _json_document(document)
        kind = FOREIGN_ACCEPTANCE if stored_form.get("kind") == FOREIGN_ACCEPTANCE else COLOURS
        version = _checked(stored_form) if kind == COLOURS else parse_acceptance(stored_form)
        _check_sizes(version.id, version.version, version.label)
    except RulesetError as error:
        raise Refused(invalid_ruleset(error)) from None
    if uow.rulesets.get(version.id, version.version) is not None:
        taken = RulesetError("version", "this id and version are already stored; use a new version")
        raise Refused(invalid_ruleset(taken))
    uow.rulesets.add_draft(
        version.id, version.version, version.valid_from, stored_form, uow.actor.name, uow.now,
        kind,
    )  # fmt: skip
    uow.audit(
        "ruleset.draft",
        version.label,
        detail=f"valid_from={version.valid_from.isoformat()}"
        + ("" if kind == COLOURS else f" kind={kind}"),
    )
    return _stored(uow, version.id, version.version)


def _checked(document: Mapping[str, Any]) -> Ruleset:
    ruleset = parse_ruleset(document)
    # Stored codes are decided columnar (issue #12): what the compiler cannot compile is
    # refused now, located, rather than found out when the version comes into force.
    compile_ruleset(ruleset)
    return ruleset


def approve_ruleset(uow: UnitOfWork, ruleset_id: str, version: str) -> StoredRuleset:
    """Approve a draft; refused when it is missing, already approved, or the approver wrote it."""
    label = f"{ruleset_id}@{version}"
    problem = _approval_problem(uow.rulesets.get(ruleset_id, version), label, uow.actor.name)
    if problem is None and not uow.rulesets.approve(ruleset_id, version, uow.actor.name, uow.now):
        problem = f"{label} was approved by someone else meanwhile", ALREADY_APPROVED
    if problem is not None:
        detail, refusal = problem
        uow.audit("ruleset.approve", label[:_MAX_LABEL], outcome="refused", detail=detail)
        raise Refused(refusal)
    uow.audit("ruleset.approve", label)
    return _stored(uow, ruleset_id, version)


def _approval_problem(
    stored: StoredRuleset | None, label: str, approver: str
) -> tuple[str, Refusal] | None:
    """Why the approval is refused: the audit's detail, and what the approver is told."""
    if stored is None:
        return f"no ruleset {label} is stored", NOT_FOUND
    if stored.status != DRAFT:
        return f"{label} is already {stored.status} (by {stored.approved_by})", ALREADY_APPROVED
    if stored.author == approver:
        detail = (
            f"{label} was drafted by {approver}; it needs a second, different person to approve"
        )
        return detail, SECOND_PERSON_REQUIRED
    return None


@dataclass(frozen=True, slots=True)
class Activation:
    """Where bringing the population under the ruleset in force has come."""

    ruleset: str  # the label in force, which the job re-evaluates everyone under
    progress: JobProgress  # the population job doing it
    labels: tuple[str, ...] = ()  # the versions marked activated, once done

    @property
    def done(self) -> bool:
        return bool(self.labels)


def activate_due_rulesets(uow: UnitOfWork) -> Activation | None:
    """Start, or finish, the activation of the approved versions whose valid-from has come.

    None when no version is due. The first call starts a population job that re-evaluates
    everyone under the ruleset in force (services/population_jobs.py; the scheduled round and the
    approval run its partitions in the background); a call once that job has finished marks the
    due versions activated. Should the ruleset in force change meanwhile, a new job is started
    for the new one (the pages done under the old one are not lost: they are simply redone).
    """
    due = uow.rulesets.due_for_activation(uow.now)
    if not due:
        return None
    rules = active_ruleset(uow)
    job = uow.jobs.latest_job(JobKind.RULESET, rules.label)
    job_id = start_everyone(uow, JobKind.RULESET, rules.label) if job is None else job.id
    progress = job_progress(uow, job_id)
    if not progress.finished:
        return Activation(rules.label, progress)
    for stored in due:
        uow.rulesets.mark_activated(stored.ruleset_id, stored.version, uow.now)
    labels = tuple(stored.label for stored in due)
    detail = f"job={job_id} evaluated={progress.evaluated} changed={progress.changed}"
    uow.audit("ruleset.activate", rules.label, detail=f"{detail} activated={','.join(labels)}")
    return Activation(rules.label, progress, labels)


def activation_progress(uow: UnitOfWork, label: str) -> JobProgress | None:
    """The latest activation job of a version (`id@version`), if one was started."""
    job = uow.jobs.latest_job(JobKind.RULESET, label)
    return None if job is None else job_progress(uow, job.id)


@dataclass(slots=True)
class DryRun:
    """How a candidate version would move the stored codes, overall and by home prefecture."""

    ruleset: str
    evaluated: int = 0
    changes: Counter[Move] = field(default_factory=Counter)
    by_region: dict[str, Counter[Move]] = field(default_factory=dict)

    def count(self, move: Move, region: str) -> None:
        self.evaluated += 1
        if move[0] != move[1]:
            self.changes[move] += 1
            self.by_region.setdefault(region, Counter())[move] += 1

    def turned(self) -> dict[str, int]:
        """Colour → how many people this version turns that colour."""
        totals: Counter[str] = Counter()
        for (_, after), count in self.changes.items():
            totals[after] += count
        return dict(totals)

    def as_json(self) -> dict[str, Any]:
        return {
            "ruleset": self.ruleset,
            "evaluated": self.evaluated,
            "changes": moves_json(self.changes),
            "by_region": {region: moves_json(self.by_region[region]) for region in self.by_region},
        }


def prefecture_name(region: str) -> Bilingual:
    """A dry run's prefecture by its name; persons with no known registration under one heading."""
    return region_name("" if region == UNKNOWN_REGION else region)


def moves_json(moves: Counter[Move]) -> list[dict[str, Any]]:
    """Largest first; ties in a stable order of colours."""
    ordered = sorted(moves.items(), key=lambda item: (-item[1], item[0][0] or "", item[0][1]))
    return [{"from": before, "to": after, "count": count} for (before, after), count in ordered]


def dry_run(uow: UnitOfWork, document: Mapping[str, Any], limit: int = BATCH) -> DryRun:
    """Decide every stored person under a candidate version at `uow.now`; nothing is stored.

    Columnar a page at a time: a candidate the compiler refuses could never be drafted, so it is
    refused here too, located, before any person is read.
    """
    try:
        candidate = parse_ruleset(document)
        compiled = compiled_ruleset(candidate)
        if isinstance(compiled, RulesetError):
            raise compiled
    except RulesetError as error:
        raise Refused(invalid_ruleset(error)) from None
    report = DryRun(candidate.label)
    after: str | None = None
    while page := uow.people.person_ids(after, limit):
        decisions = columnar_decisions(uow, page, compiled)
        states = uow.states.get_many(page)
        regions = uow.people.home_regions(page)
        for person_id, decision in zip(page, decisions, strict=True):
            state = states.get(person_id)
            move = (None if state is None else state.colour, decision.colour.value)
            report.count(move, _region(regions.get(person_id)))
        after = page[-1]
    report.by_region = dict(sorted(report.by_region.items()))
    changed = report.changes.total()
    uow.audit("ruleset.dry_run", candidate.label, detail=f"evaluated={report.evaluated} {changed=}")
    return report


def _region(home_region: str | None) -> str:
    """The prefecture of a person's registration, where their case is handled locally."""
    if home_region is None:
        return UNKNOWN_REGION
    try:
        return prefecture_of(home_region)
    except ValueError:  # registered at province level only
        return home_region[:2]


def _json_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document as the database keeps it: YAML's timestamps become ISO 8601 text."""
    try:
        stored: dict[str, Any] = json.loads(json.dumps(document, default=_iso_text))
    except (TypeError, ValueError) as error:
        raise RulesetError("ruleset", f"cannot be stored as JSON: {error}") from None
    return stored


def _iso_text(value: object) -> str:
    if isinstance(value, date):  # a datetime is a date too
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _check_sizes(ruleset_id: str, version: str, label: str) -> None:
    if len(ruleset_id) > _MAX_ID:
        raise RulesetError("id", f"at most {_MAX_ID} characters")
    if len(version) > _MAX_VERSION:
        raise RulesetError("version", f"at most {_MAX_VERSION} characters")
    if len(label) > _MAX_LABEL:
        raise RulesetError("id", f"id@version must be at most {_MAX_LABEL} characters")


def _stored(uow: UnitOfWork, ruleset_id: str, version: str) -> StoredRuleset:
    stored = uow.rulesets.get(ruleset_id, version)
    if stored is None:  # just written in this transaction
        raise LookupError(f"{ruleset_id}@{version} vanished")
    return stored

"""Checkpoint flows for people without a phone (S4): staff check another credential.

Each look-up is audited with the staff member, their declared purpose (D2), the venue, the method
and the decision; the person is named by pseudonym only. Each credential stands in for the phone,
not for the person's status (see `domain/checkpoints.py`): the venue policy is applied to the
colour on record, or to green when nothing is on record (A4: no known risk).

A look-up by document (issue #11) needs the name on it as well as its number, and a wrong name is
answered exactly as an unknown number: knowing a number alone tells nothing. Look-ups are limited
per staff member (`rulesets/limits.yaml`), and known and unknown documents are answered in the same
shape (the masked name shown is the one typed) after the same queries, so neither the answer nor,
as far as one process can make it, its timing says whether the number is on file.
"""

from __future__ import annotations

from dataclasses import dataclass

from healthcode.db.institutions_store import StoredInstitution
from healthcode.db.people import StoredPerson
from healthcode.domain.areas import RiskLevel
from healthcode.domain.certificates import NOT_REGISTERED, REFUSALS, STATEMENT_TEXTS
from healthcode.domain.checkpoints import (
    CheckpointDecision,
    Method,
    name_of,
    on_credential,
    recent_negative_test,
    without_credential,
)
from healthcode.domain.facts import PersonKey
from healthcode.domain.identity import id_number_problem, mask_name
from healthcode.domain.rules import Colour
from healthcode.domain.text import Bilingual
from healthcode.domain.timezones import display_instant
from healthcode.domain.venues import Purpose, Venue, VenueDecision, Verdict
from healthcode.rulesets import default_venue_policy
from healthcode.security.pseudonyms import audit_pseudonym
from healthcode.services.audit_targets import person_target
from healthcode.services.codes.trust import DatabaseTrust
from healthcode.services.limits import hold_staff
from healthcode.services.runtime import UnitOfWork
from healthcode.tokens import Rejection, TokenError
from healthcode.tokens.base64url import b64url_encode
from healthcode.tokens.certificates import (
    UnverifiedCertificate,
    check_certificate_signature,
    read_certificate,
)
from healthcode.tokens.codec import DEFAULT_LEEWAY


class CheckpointError(ValueError):
    """A look-up that cannot be made; the one-line reason (never the document number)."""


@dataclass(frozen=True, slots=True)
class _Status:
    colour: Colour
    flags: frozenset[str]


_GREEN = _Status(Colour.GREEN, frozenset())


def check_by_test(
    uow: UnitOfWork,
    person_key: PersonKey,
    venue: Venue,
    area_risk: RiskLevel,
    *,
    name: str,
    purpose: Purpose | None = None,
) -> CheckpointDecision:
    """The person's own negative nucleic-acid test sampled in the last 7 days, looked up by ID."""
    person = _look_up(uow, person_key, name)
    found = uow.facts.of_persons([_id_of(person)])  # the same query whether on file or not
    test = recent_negative_test(found.get(_id_of(person), []), uow.now)
    shown = _shown(name)
    policy = _policy(_status(uow, person), venue, area_risk, purpose)
    if test is None:
        decision = without_credential(Method.TEST, _NO_TEST, shown, policy)
    else:
        shown["test_sampled_at"] = display_instant(test.sampled_at)
        decision = on_credential(Method.TEST, name_of(Method.TEST), policy, shown)
    _audit(uow, decision, person_target(uow, person_key), venue, area_risk)
    return decision


def check_by_registration(
    uow: UnitOfWork,
    person_key: PersonKey,
    venue: Venue,
    area_risk: RiskLevel,
    *,
    name: str,
    purpose: Purpose | None = None,
) -> CheckpointDecision:
    """Registration with a valid identity document: staff look the stored colour up (代查).

    Someone with no record at all is registered and let through as green where green may go: no
    fact about them means no known risk (A4), and the code is never the only credential. The
    registration is the audit entry (staff, purpose, venue, pseudonym); no person is created.
    """
    decision = _registration(uow, person_key, name, venue, area_risk, purpose)
    _audit(uow, decision, person_target(uow, person_key), venue, area_risk)
    return decision


def check_itinerary_card(
    uow: UnitOfWork,
    person_key: PersonKey,
    shows_risk_area: bool,
    venue: Venue,
    area_risk: RiskLevel,
    *,
    name: str,
    purpose: Purpose | None = None,
) -> CheckpointDecision:
    """The telecom itinerary card, as staff read it, together with registration by document.

    The card is auxiliary: it never admits anyone on its own, so the registration decides. A card
    that shows a stay in a medium or high-risk area refers the person to health management (S1's
    exception for key groups) wherever codes are checked.
    """
    registered = _registration(uow, person_key, name, venue, area_risk, purpose)
    card = "risk_area" if shows_risk_area else "clear"  # the staff's reading, shown and audited
    shown = {**registered.shown, "itinerary_card": card}
    if shows_risk_area and registered.verdict is not Verdict.NOT_CHECKED:
        decision = CheckpointDecision(
            Method.ITINERARY_CARD, Verdict.DENY, ("S4", "S1"), _RISK_CARD, shown
        )
    else:
        basis = Bilingual(
            f"通信行程卡（辅助）未显示中高风险地区；{registered.reason.zh}",
            f"Itinerary card (auxiliary) shows no medium or high-risk area; {registered.reason.en}",
        )
        decision = CheckpointDecision(
            Method.ITINERARY_CARD, registered.verdict, registered.clauses, basis, shown
        )
    _audit(uow, decision, person_target(uow, person_key), venue, area_risk, f"card={card}")
    return decision


def check_certificate(
    uow: UnitOfWork,
    text: str,
    venue: Venue,
    area_risk: RiskLevel,
    *,
    purpose: Purpose | None = None,
) -> CheckpointDecision:
    """A community's or medical institution's signed paper certificate (`HZC1:`)."""
    _require_purpose(uow)
    trust = DatabaseTrust(uow)
    try:
        certificate = read_certificate(text.strip())
    except TokenError as error:
        return _certificate_refused(uow, None, error.rejection.value, venue, area_risk)
    claims = certificate.claims
    rejection = _certificate_rejection(uow, trust, certificate)
    if rejection is not None:
        return _certificate_refused(uow, certificate, rejection.value, venue, area_risk)
    institution = uow.institutions.get(claims.institution)
    if institution is None or institution.kind != claims.kind.value:
        return _certificate_refused(uow, certificate, NOT_REGISTERED, venue, area_risk)
    current = trust.current_state(claims.issuer, claims.subject)
    status = _GREEN if current is None else _Status(current.colour, frozenset(current.flags))
    shown = {
        "masked_name": claims.masked_name,
        "institution": institution.name,
        "statement": STATEMENT_TEXTS[claims.statement].zh,
        "expires_at": display_instant(claims.expires_at),
    }
    policy = _policy(status, venue, area_risk, purpose)
    decision = on_credential(Method.CERTIFICATE, _basis(institution), policy, shown)
    target = audit_pseudonym(uow.runtime.vault, "certificate", claims.subject)
    _audit(uow, decision, target, venue, area_risk, f"institution={institution.id}")
    return decision


def _registration(
    uow: UnitOfWork,
    person_key: PersonKey,
    name: str,
    venue: Venue,
    area_risk: RiskLevel,
    purpose: Purpose | None,
) -> CheckpointDecision:
    person = _look_up(uow, person_key, name)
    policy = _policy(_status(uow, person), venue, area_risk, purpose)
    shown = {**_shown(name), "record": "on_file" if person is not None else "none"}
    if person is None:
        return on_credential(Method.REGISTRATION, _REGISTERED_NEW, policy, shown, ("A4",))
    return on_credential(Method.REGISTRATION, name_of(Method.REGISTRATION), policy, shown)


def _look_up(uow: UnitOfWork, key: PersonKey, name: str) -> StoredPerson | None:
    """The person the document names, or None when the number or the name is not on file."""
    _require_purpose(uow)
    problem = id_number_problem(key.id_type, key.id_number)
    if problem is not None:
        raise CheckpointError(f"id_number: {problem}")
    if not name.strip():
        raise CheckpointError("name: the name on the document is required")
    hold_staff(uow, "lookup", "checkpoint.lookup", person_target(uow, key))
    person = uow.people.find(key)
    return person if uow.people.name_matches(person, name) else None


def _id_of(person: StoredPerson | None) -> str:
    # An id no person has: the queries for someone not on file are the ones for someone on file.
    return _NOBODY if person is None else person.id


def _require_purpose(uow: UnitOfWork) -> None:
    if not uow.actor.purpose.strip():
        raise CheckpointError("a checkpoint look-up needs a declared purpose (D2)")


def _status(uow: UnitOfWork, person: StoredPerson | None) -> _Status:
    state = uow.states.get_many([_id_of(person)]).get(_id_of(person))
    if state is None:
        return _GREEN
    return _Status(Colour(state.colour), frozenset(state.decision.get("flags") or ()))


def _policy(
    status: _Status, venue: Venue, area_risk: RiskLevel, purpose: Purpose | None
) -> VenueDecision:
    return default_venue_policy().check(status.colour, venue, area_risk, status.flags, purpose)


def _certificate_rejection(
    uow: UnitOfWork, trust: DatabaseTrust, certificate: UnverifiedCertificate
) -> Rejection | None:
    found = trust.find_key(certificate.claims.issuer, b64url_encode(certificate.kid))
    if isinstance(found, Rejection):
        return found
    return check_certificate_signature(
        certificate, found.public_key, uow.now
    ) or found.rejection_at(uow.now, DEFAULT_LEEWAY)


def _certificate_refused(
    uow: UnitOfWork,
    certificate: UnverifiedCertificate | None,
    why: str,
    venue: Venue,
    area_risk: RiskLevel,
) -> CheckpointDecision:
    text = REFUSALS[why]
    missing = Bilingual(
        f"纸质证明无效（{text.zh}）", f"The paper certificate is not valid: {text.en}"
    )
    # Nothing in a refused certificate is believed, so the venue is judged as for anyone: only
    # whether it checks at all matters here.
    unchecked = _policy(_GREEN, venue, area_risk, None)
    decision = without_credential(Method.CERTIFICATE, missing, {}, unchecked)
    target = (
        "certificate:unreadable"
        if certificate is None
        else audit_pseudonym(uow.runtime.vault, "certificate", certificate.claims.subject)
    )
    _audit(uow, decision, target, venue, area_risk, f"rejected={why}")
    return decision


def _basis(institution: StoredInstitution) -> Bilingual:
    return Bilingual(
        f"{institution.name}开具的纸质证明", f"paper certificate issued by {institution.name}"
    )


def _shown(name: str) -> dict[str, str | None]:
    # The name typed, masked: on file or not, the answer has the same shape and says nothing new.
    return {"masked_name": mask_name(name.strip())}


def _audit(
    uow: UnitOfWork,
    decision: CheckpointDecision,
    target: str,
    venue: Venue,
    area_risk: RiskLevel,
    extra: str = "",
) -> None:
    detail = f"venue={venue.value} area_risk={area_risk.value} {extra}".strip()
    uow.audit(f"checkpoint.{decision.method.value}", target, decision.verdict.value, detail)


_NOBODY = "-"  # person ids are UUIDs: no one is "-"
_NO_TEST = Bilingual(
    "未查到本人7日内核酸检测阴性结果", "No negative nucleic-acid test of the last 7 days on record"
)
_REGISTERED_NEW = Bilingual(
    "凭有效身份证件登记；系统内无此人记录，无已知风险，按绿码处理",
    "Registered with a valid identity document; no record on file, so no known risk: treated as "
    "green",
)
_RISK_CARD = Bilingual(
    "通信行程卡显示到访中高风险地区：请按重点人群落实健康管理措施，不予通行",
    "The itinerary card shows a stay in a medium or high-risk area: the person is referred to "
    "health management as a key group and does not pass here",
)

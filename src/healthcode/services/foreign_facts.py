"""A verified foreign certificate recorded as facts of an inbound traveller (issue #15; A8, S5).

Border staff verify the certificate (services/foreign.py), check the traveller's document, and
record: each fact the certificate proves is judged by the acceptance rules in force (CertLogic,
foreign/acceptance.py; versioned and approved like the colour rules, ADR 0016), and those
accepted become exchange-format records (SPEC §1: `vaccination`, `test`, `recovery`, with the
issuing country) from `border`, read by the exchange format's own parser and recorded through the
department import path (services/facts.py): idempotent, conflict-checked, the code re-evaluated,
audited. A fact is never recorded for a certificate that is not valid.

Each record's `event_id` is derived from the certificate's text (a keyed digest), so recording it
again is a duplicate, and recording it for another person a conflict: a certificate is one
person's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Final

from healthcode.db.rulesets_store import FOREIGN_ACCEPTANCE
from healthcode.domain.facts import Person, Source
from healthcode.domain.identity import IdType, id_number_problem, normalise_id_number
from healthcode.domain.text import Bilingual
from healthcode.exchange import InvalidRecordError, parse_fact
from healthcode.foreign.acceptance import AcceptanceRules, parse_acceptance, unmet_rules
from healthcode.foreign.trust import TrustMaterial
from healthcode.foreign.verdicts import ForeignFact
from healthcode.rulesets import DEFAULT_FOREIGN_ACCEPTANCE, bundled_document
from healthcode.services.facts import RecordReport, record_facts
from healthcode.services.foreign import verify_foreign_certificate
from healthcode.services.refusals import Refusal, Refused, invalid_input
from healthcode.services.runtime import UnitOfWork

AUDIT_ACTION: Final = "foreign.record"
CERTIFICATE_INDEX: Final = "foreign-certificate"
# The exchange format has one kind of test (nucleic_acid): the codes that name one, as the EU DCC
# (test type LP6464-4) and LOINC (SARS-CoV-2 NAATs, as SMART Health Cards write them) give them.
NUCLEIC_ACID_TESTS: Final = frozenset(
    {"LP6464-4"}
    | {
        f"http://loinc.org|{code}"
        for code in (
            *("94500-6", "94309-2", "94531-1", "94533-7", "94534-5", "94559-2"),
            *("94565-9", "94756-4", "94757-2", "94759-8", "94760-6", "94845-5"),
        )
    }
)

NOT_VALID: Final = Refusal(
    422,
    "certificate_not_valid",
    Bilingual(
        "证书未通过核验，不能记录。", "The certificate did not pass verification: nothing recorded."
    ),
    "text",
)


@dataclass(frozen=True, slots=True)
class Unaccepted:
    """A fact of the certificate that is not recorded, and why (no personal data)."""

    kind: str
    rules: tuple[str, ...]  # the acceptance rules it did not meet
    reason: Bilingual

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "rules": list(self.rules), "reason": self.reason.as_dict()}


@dataclass(slots=True)
class ForeignRecording:
    format: str
    acceptance: str  # the acceptance rules' label (id@version) the facts were judged by
    recorded: RecordReport = field(default_factory=RecordReport)
    unaccepted: list[Unaccepted] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "format": self.format,
            "acceptance": self.acceptance,
            "accepted": self.recorded.accepted,
            "duplicates": self.recorded.duplicates,
            "conflicts": len(self.recorded.conflicts),
            "unaccepted": [item.to_json() for item in self.unaccepted],
        }


def checked_person(id_type: IdType, id_number: str) -> Person:
    """The traveller's document as SPEC §1 reads it; `Refused` (422, `person.id_number`, the
    number never echoed) when it is not one."""
    number = normalise_id_number(id_type, id_number)
    if id_number_problem(id_type, number) is not None:
        raise Refused(invalid_input("person.id_number"))
    return Person(id_type, number)


def acceptance_in_force(uow: UnitOfWork) -> AcceptanceRules:
    """The approved acceptance rules in force now; the bundled default until one is approved."""
    stored = uow.rulesets.in_force(uow.now, FOREIGN_ACCEPTANCE)
    document = bundled_document(DEFAULT_FOREIGN_ACCEPTANCE) if stored is None else stored.document
    return parse_acceptance(document)


def record_foreign_certificate(
    uow: UnitOfWork, text: str, person: Person, trust: TrustMaterial
) -> ForeignRecording:
    """Verify `text` now and record what the acceptance rules accept as facts of `person`."""
    verdict = verify_foreign_certificate(uow, text, trust)
    if not verdict.valid:
        uow.audit(AUDIT_ACTION, f"format:{verdict.format}", "refused", "certificate not valid")
        raise Refused(NOT_VALID)
    rules = acceptance_in_force(uow)
    recording = ForeignRecording(verdict.format, rules.label)
    # Keyed, like the facts' content digests: the event id (stored in clear) cannot confirm that a
    # certificate someone holds is on file.
    digest = uow.runtime.vault.blind_index(CERTIFICATE_INDEX, text.strip()).hex()[:24]
    facts, locations = [], []
    for index, fact in enumerate(verdict.facts, start=1):
        unmet = unmet_rules(rules, fact, uow.now)
        if unmet:
            why = unmet[0].description
            recording.unaccepted.append(Unaccepted(fact.kind, tuple(r.id for r in unmet), why))
            continue
        record = _record(fact, f"{verdict.format}-{digest}-{index}", person)
        if isinstance(record, Unaccepted):
            recording.unaccepted.append(record)
            continue
        try:
            facts.append(parse_fact(record, f"fact {index}"))
        except InvalidRecordError:
            # The certificate's statement does not fit the exchange format (a detail out of
            # range): not recorded, and said so, without echoing the certificate.
            recording.unaccepted.append(Unaccepted(fact.kind, (), NOT_EXCHANGEABLE))
            continue
        locations.append(f"fact {index}")
    if facts:
        recording.recorded = record_facts(uow, facts, locations)
    uow.audit(
        AUDIT_ACTION,
        f"format:{verdict.format}",
        "ok" if facts else "refused",
        f"acceptance={rules.label} accepted={recording.recorded.accepted} "
        f"duplicates={recording.recorded.duplicates} unaccepted={len(recording.unaccepted)}",
    )
    return recording


NOT_EXCHANGEABLE: Final = Bilingual(
    "证书所述内容无法按交换格式记录。",
    "What the certificate states cannot be recorded in the exchange format.",
)
NOT_A_NUCLEIC_ACID_TEST: Final = Bilingual(
    "交换格式只记录核酸检测。", "The exchange format records nucleic acid tests only."
)
NO_DOSE: Final = Bilingual(
    "证书未写明接种剂次，不能记为一剂疫苗。",
    "The certificate names no dose number, so it cannot be recorded as a dose.",
)


def _record(fact: ForeignFact, event_id: str, person: Person) -> dict[str, object] | Unaccepted:
    """The SPEC §1 record of an accepted fact, or why the exchange format cannot hold it."""
    common: dict[str, object] = {
        "event_id": event_id,
        "source": Source.BORDER.value,
        "type": fact.kind,
        "person": {"id_type": person.id_type.value, "id_number": person.id_number},
        "occurred_at": fact.occurred_at.isoformat(),
        "issuing_country": fact.country or None,
    }
    details = fact.details
    if fact.kind == "vaccination":
        dose = details.get("dose", "").split("/")[0]
        if not dose.isdigit():
            return Unaccepted(fact.kind, (), NO_DOSE)
        return common | {"dose": int(dose), "product": details.get("product")}
    if fact.kind == "test":
        if details.get("type") not in NUCLEIC_ACID_TESTS:
            return Unaccepted(fact.kind, (), NOT_A_NUCLEIC_ACID_TEST)
        # A certificate dates the sample, not when the result was known: both are that instant.
        return common | {
            "kind": "nucleic_acid",
            "result": details.get("result"),
            "sampled_at": fact.occurred_at.isoformat(),
        }
    return common | {
        "valid_from": _day(details.get("valid_from")),
        "valid_until": _day(details.get("valid_until")),
    }


def _day(value: str | None) -> str | None:
    """A certificate's date (`2021-05-29`) as the instant its day begins, in UTC."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return value  # left as it is: the exchange parser says what is wrong with it
    return datetime(day.year, day.month, day.day, tzinfo=UTC).isoformat()

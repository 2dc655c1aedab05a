"""SPEC §1 extended for foreign certificates (issue #15): `issuing_country` on vaccinations and
tests, the `recovery` type; records written before are read as they always were (S5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from exchange_builders import event

from healthcode.domain.documents import RulesetError
from healthcode.domain.facts import Person, Recovery, Vaccination
from healthcode.domain.identity import IdType
from healthcode.exchange import InvalidRecordError, parse_fact
from healthcode.exchange.writer import fact_record
from healthcode.foreign.acceptance import parse_acceptance, unmet_rules
from healthcode.foreign.verdicts import ForeignFact
from healthcode.rulesets import DEFAULT_FOREIGN_ACCEPTANCE, bundled_document
from healthcode.services.foreign_facts import _record

TRAVELLER = Person(IdType.PASSPORT, "X1234567")


def test_a_vaccination_abroad_names_its_country_and_one_written_before_reads_alike__S5() -> None:
    abroad = parse_fact(event("vaccination", issuing_country="DE", product="EU/1/20/1528"))
    assert abroad.payload == Vaccination(2, "EU/1/20/1528", "DE")
    before = event("vaccination")
    assert "issuing_country" not in fact_record(parse_fact(before))
    assert fact_record(abroad)["issuing_country"] == "DE"


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"issuing_country": "DEU"}, "issuing_country", "alpha-2"),
        ({"valid_from": "2021-03-01T08:00:00+08:00"}, "valid_from", "not be earlier"),
        ({"valid_until": "2021-03-20T08:00:00+08:00"}, "valid_until", "later than"),
    ],
)
def test_a_bad_recovery_is_refused_located__S5(
    fields: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(InvalidRecordError) as refused:
        parse_fact(event("recovery", **fields))
    assert refused.value.error.field == field
    assert reason in refused.value.error.reason


def test_an_accepted_recovery_becomes_a_recovery_record_with_its_validity__A8_S5() -> None:
    validity = {"valid_from": "2021-05-12", "valid_until": "2021-10-28"}
    fact = ForeignFact("recovery", "DE", datetime(2021, 5, 1, tzinfo=UTC), validity, "X", "1990")
    rules = parse_acceptance(bundled_document(DEFAULT_FOREIGN_ACCEPTANCE))
    assert unmet_rules(rules, fact, datetime(2021, 6, 1, tzinfo=UTC)) == ()
    assert [r.id for r in unmet_rules(rules, fact, datetime(2021, 11, 1, tzinfo=UTC))] == [
        "recovery-still-valid"
    ]
    record = _record(fact, "eu-dcc-1", TRAVELLER)
    assert isinstance(record, dict)
    assert parse_fact(record).payload == Recovery(
        datetime(2021, 5, 12, tzinfo=UTC), datetime(2021, 10, 28, tzinfo=UTC), "DE"
    )


def test_an_invalid_acceptance_ruleset_is_refused_located__A5() -> None:
    broken = bundled_document(DEFAULT_FOREIGN_ACCEPTANCE)
    broken["rules"][1] = broken["rules"][1] | {"applies_to": ["passport"]}
    with pytest.raises(RulesetError, match=r"rules\[1\] \(vaccine-product\)\.applies_to"):
        parse_acceptance(broken)
    with pytest.raises(RulesetError, match="kind"):
        parse_acceptance(broken | {"kind": "colours"})

"""Foreign certificates recorded as an inbound traveller's facts (issue #15; A8, S5), judged by
acceptance rules that are drafted, approved and in force like the colour rules (A5, ADR 0016)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from builders import ManualClock, audit_report, refusal_of
from card_builders import (
    ANTIGEN,
    CVX,
    NAAT,
    NEGATIVE,
    POSITIVE,
    Issuer,
    immunization,
    lab_result,
)
from healthcode.db.rulesets_store import COLOURS, FOREIGN_ACCEPTANCE
from healthcode.db.schema import audit_log
from healthcode.domain.facts import (
    Person,
    Source,
    Test,
    TestKind,
    TestResult,
    Vaccination,
)
from healthcode.domain.identity import IdType
from healthcode.rulesets import DEFAULT_FOREIGN_ACCEPTANCE, bundled_document
from healthcode.services.evaluation import active_ruleset
from healthcode.services.foreign_facts import (
    NOT_VALID,
    acceptance_in_force,
    record_foreign_certificate,
)
from healthcode.services.rulesets import (
    SECOND_PERSON_REQUIRED,
    approve_ruleset,
    draft_ruleset,
)
from healthcode.services.runtime import Actor, Runtime

NOW = datetime(2021, 7, 1, 10, tzinfo=UTC)
OFFICER = Actor("officer", "border-staff", "foreign_record")
AUTHOR = Actor("alice", "rule_author", "ruleset_draft")
APPROVER = Actor("bob", "rule_approver", "ruleset_approval")
TRAVELLER = Person(IdType.PASSPORT, "X1234567", nationality="USA")


@pytest.fixture
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture(autouse=True)
def now(clock: ManualClock) -> None:
    clock.instant = NOW


def record(runtime: Runtime, issuer: Issuer, text: str) -> dict[str, Any]:
    with runtime.unit_of_work(OFFICER) as uow:
        return record_foreign_certificate(uow, text, TRAVELLER, issuer.trust).to_json()


def stored_payloads(runtime: Runtime) -> list[object]:
    with runtime.unit_of_work(OFFICER) as uow:
        ids = uow.people.ids_for([TRAVELLER.key])
        facts = uow.facts.of_persons(ids.values()).get(ids.get(TRAVELLER.key, ""), [])
    assert all(fact.source is Source.BORDER for fact in facts)
    return sorted((fact.payload for fact in facts), key=repr)


def test_accepted_vaccinations_and_a_recent_test_become_the_traveller_s_facts__A8_S5(
    runtime: Runtime, issuer: Issuer
) -> None:
    sampled = NOW - timedelta(hours=30)
    card = issuer.card(
        immunization("208", "2021-04-01"),
        immunization("208", "2021-04-22"),
        lab_result(NAAT, NEGATIVE, sampled.isoformat()),
        nbf=NOW - timedelta(days=1),
    )
    answer = record(runtime, issuer, card)
    assert answer | {"acceptance": ""} == {
        "format": "shc", "acceptance": "", "accepted": 3, "duplicates": 0, "conflicts": 0,
        "unaccepted": [],
    }  # fmt: skip
    assert answer["acceptance"] == "foreign-acceptance@1.0.0"
    assert stored_payloads(runtime) == sorted(
        [
            Test(TestKind.NUCLEIC_ACID, TestResult.NEGATIVE, sampled, "US"),
            Vaccination(1, f"{CVX}|208", "US"),
            Vaccination(2, f"{CVX}|208", "US"),
        ],
        key=repr,
    )
    again = record(runtime, issuer, card)
    assert (again["accepted"], again["duplicates"]) == (0, 3)


def test_what_the_rules_do_not_accept_is_not_recorded_and_says_which_rule__A8_S5(
    runtime: Runtime, issuer: Issuer
) -> None:
    card = issuer.card(
        immunization("999", "2021-04-01"),  # no accepted product
        lab_result(ANTIGEN, NEGATIVE, (NOW - timedelta(hours=2)).isoformat()),  # not a NAAT
        lab_result(NAAT, NEGATIVE, (NOW - timedelta(days=4)).isoformat()),  # too old
        lab_result(NAAT, POSITIVE, (NOW - timedelta(days=4)).isoformat()),  # positive: counts
        nbf=NOW - timedelta(days=1),
    )
    answer = record(runtime, issuer, card)
    assert answer["accepted"] == 1
    assert [(item["kind"], item["rules"]) for item in answer["unaccepted"]] == [
        ("vaccination", ["vaccine-product"]),
        ("test", ["test-nucleic-acid"]),
        ("test", ["negative-test-within-72-hours"]),
    ]
    assert answer["unaccepted"][0]["reason"]["en"].startswith("The vaccine must be")
    (positive,) = stored_payloads(runtime)
    assert isinstance(positive, Test)
    assert positive.result is TestResult.POSITIVE


def test_a_certificate_that_is_not_valid_records_nothing_and_is_audited__A8_D2(
    runtime: Runtime, issuer: Issuer
) -> None:
    card = issuer.card(immunization("208", "2021-04-01"), nbf=NOW - timedelta(days=9),
                       exp=NOW - timedelta(days=1))  # fmt: skip
    refusal = refusal_of(
        runtime, OFFICER, lambda uow: record_foreign_certificate(uow, card, TRAVELLER, issuer.trust)
    )
    assert refusal == NOT_VALID
    assert stored_payloads(runtime) == []
    with runtime.engine.connect() as connection:
        rows = connection.execute(select(audit_log.c.action, audit_log.c.outcome)).all()
    assert ("foreign.record", "refused") in [tuple(row) for row in rows]
    assert audit_report(runtime).intact


def test_acceptance_rules_are_drafted_approved_by_another_and_in_force_from_valid_from__A5_S5(
    runtime: Runtime, issuer: Issuer, clock: ManualClock
) -> None:
    stricter = bundled_document(DEFAULT_FOREIGN_ACCEPTANCE) | {
        "version": "1.1.0",
        "valid_from": (NOW + timedelta(days=1)).isoformat(),
    }
    product = next(rule for rule in stricter["rules"] if rule["id"] == "vaccine-product")
    product["logic"] = {"in": [{"var": "payload.details.product"}, ["EU/1/20/1528"]]}
    with runtime.unit_of_work(AUTHOR) as uow:
        stored = draft_ruleset(uow, stricter)
    assert (stored.kind, stored.status) == (FOREIGN_ACCEPTANCE, "draft")
    refusal = refusal_of(
        runtime, AUTHOR, lambda uow: approve_ruleset(uow, stored.ruleset_id, "1.1.0")
    )
    assert refusal == SECOND_PERSON_REQUIRED
    with runtime.unit_of_work(APPROVER) as uow:
        approve_ruleset(uow, stored.ruleset_id, "1.1.0")
        # Not yet in force; and the colour rules are untouched, nor due for an activation.
        assert acceptance_in_force(uow).version == "1.0.0"
        assert active_ruleset(uow).id == "zhejiang-2021-36"
        assert uow.rulesets.due_for_activation(NOW + timedelta(days=2)) == []
        assert uow.rulesets.in_force(NOW + timedelta(days=2), COLOURS) is None
    card = issuer.card(immunization("208", "2021-04-01"), nbf=NOW - timedelta(days=1))
    clock.instant = NOW + timedelta(days=2)
    answer = record(runtime, issuer, card)
    assert answer["acceptance"] == "foreign-acceptance@1.1.0"
    assert [item["rules"] for item in answer["unaccepted"]] == [["vaccine-product"]]

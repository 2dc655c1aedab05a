"""Applying for a code (A1, A8, S3, D2): channels, proxies and versions, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from builders import ManualClock, fact, isolation, march, operator, refusal_of, resident_id
from healthcode.db.schema import applications, audit_log, code_history, persons
from healthcode.domain.applications import Channel, Relationship
from healthcode.domain.facts import Entry, Person, Source
from healthcode.domain.identity import IdType
from healthcode.security.pseudonyms import audit_pseudonym
from healthcode.services.codes.issuing import issue_code
from healthcode.services.facts import record_facts
from healthcode.services.households.applications import (
    VERSION_REFUSED,
    Application,
    ApplicationError,
    apply_for_code,
)
from healthcode.services.refusals import Refusal
from healthcode.services.runtime import Runtime
from healthcode.tokens import CodeVersion

ELDER = Person(IdType.RESIDENT_ID, resident_id(birth="19400505", seq="011"), "王奶奶")
DAUGHTER = Person(
    IdType.RESIDENT_ID, resident_id(birth="19700707", seq="022"), "李小红", "13812345678"
)
VISITOR = Person(IdType.PASSPORT, "E12345678", "Marie Curie", nationality="FRA")
HK_RESIDENT = Person(IdType.RESIDENT_ID, resident_id("810000", "19850101", "033"), "陈大文")
HK_PERMIT = Person(IdType.HK_MACAO_PERMIT, "H12345678", "陈小文")


APPLYING = operator("channel", "code_application")


def apply(runtime: Runtime, person: Person, **options: object) -> Application:
    with runtime.unit_of_work(APPLYING) as uow:
        return apply_for_code(uow, person, **options)  # type: ignore[arg-type]


def refused(runtime: Runtime, person: Person, **options: object) -> Refusal:
    return refusal_of(
        runtime,
        APPLYING,
        lambda uow: apply_for_code(uow, person, **options),  # type: ignore[arg-type]
    )


def rows(runtime: Runtime) -> list[tuple[object, ...]]:
    with runtime.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                select(
                    applications.c.person_id,
                    applications.c.applicant_id,
                    applications.c.relationship,
                    applications.c.channel,
                    applications.c.version,
                ).order_by(applications.c.id)
            )
        ]


def audited(runtime: Runtime) -> list[tuple[str, str | None, str | None]]:
    with runtime.engine.connect() as connection:
        return [
            (row.outcome, row.object, row.detail)
            for row in connection.execute(
                select(audit_log)
                .where(audit_log.c.action == "code.apply")
                .order_by(audit_log.c.seq)
            )
        ]


def pseudonym(runtime: Runtime, person: Person) -> str:
    return audit_pseudonym(runtime.vault, "person", f"{person.id_type.value}:{person.id_number}")


def count_persons(runtime: Runtime) -> int:
    with runtime.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(persons)) or 0)


def test_a_person_applies_for_themselves_and_gets_a_code__A1(runtime: Runtime) -> None:
    granted = apply(runtime, ELDER, channel=Channel.ZHELIBANG)
    assert granted.person is not None
    assert (granted.applicant, granted.relationship, granted.colour) == (None, None, "green")
    assert granted.version is CodeVersion.DOMESTIC
    assert rows(runtime) == [(granted.person.id, None, None, "zhelibang", "domestic")]
    with runtime.engine.connect() as connection:
        causes = list(connection.scalars(select(code_history.c.cause)))
    assert causes == ["application"]
    own = pseudonym(runtime, ELDER)
    assert audited(runtime) == [
        ("ok", own, f"for={own} relationship=self channel=zhelibang version=domestic")
    ]


@pytest.mark.parametrize("channel", list(Channel))
def test_every_channel_is_recorded__A1(runtime: Runtime, channel: Channel) -> None:
    apply(runtime, ELDER, channel=channel)
    assert rows(runtime)[0][3] == channel.value


def test_a_family_member_applies_on_behalf_and_answers_for_it__A1_S3_D2(
    runtime: Runtime,
) -> None:
    granted = apply(
        runtime,
        ELDER,
        channel=Channel.ALIPAY,
        applicant=DAUGHTER,
        relationship=Relationship.CHILD,
    )
    assert granted.person is not None
    assert granted.applicant is not None
    assert count_persons(runtime) == 2  # both were new: both are on record now
    assert rows(runtime) == [
        (granted.person.id, granted.applicant.id, "child", "alipay", "domestic")
    ]
    # The audit entry is the proxy's: their pseudonym is the object, the person is named in detail.
    assert audited(runtime) == [
        (
            "ok",
            pseudonym(runtime, DAUGHTER),
            f"for={pseudonym(runtime, ELDER)} relationship=child channel=alipay version=domestic",
        )
    ]
    shown = granted.as_json()
    assert shown["person"] == {
        "id_type": "resident_id",
        "id_number": granted.person.id_number_masked,
        "name": "王*奶",
    }
    assert ELDER.id_number not in str(shown)
    assert "13812345678" not in str(shown)


def test_a_proxy_is_a_different_person_with_a_relationship__A1_D2(runtime: Runtime) -> None:
    with pytest.raises(ApplicationError, match="needs the relationship"):
        apply(runtime, ELDER, channel=Channel.WEB, applicant=DAUGHTER)
    with pytest.raises(ApplicationError, match="must be a different person"):
        apply(runtime, ELDER, channel=Channel.WEB, applicant=ELDER, relationship=Relationship.OTHER)
    with pytest.raises(ApplicationError, match="needs an applicant"):
        apply(runtime, ELDER, channel=Channel.WEB, relationship=Relationship.CHILD)
    assert (rows(runtime), count_persons(runtime)) == ([], 0)


def test_an_invalid_document_is_refused_without_echoing_it__A1_D2(runtime: Runtime) -> None:
    other_digit = "1" if ELDER.id_number[-1] != "1" else "2"
    wrong = Person(IdType.RESIDENT_ID, ELDER.id_number[:-1] + other_digit)
    with pytest.raises(ApplicationError) as refused:
        apply(runtime, wrong, channel=Channel.WEB)
    assert str(refused.value) == "person id_number: wrong check digit"
    assert count_persons(runtime) == 0


def test_passports_and_permits_get_the_international_version__A8(runtime: Runtime) -> None:
    assert apply(runtime, VISITOR, channel=Channel.WEB).version is CodeVersion.INTERNATIONAL
    assert apply(runtime, HK_PERMIT, channel=Channel.WECHAT).version is CodeVersion.INTERNATIONAL
    assert apply(runtime, ELDER, channel=Channel.WEB).version is CodeVersion.DOMESTIC
    # The domestic version is open to anyone who asks for it.
    chosen = apply(runtime, VISITOR, channel=Channel.WEB, version=CodeVersion.DOMESTIC)
    assert chosen.version is CodeVersion.DOMESTIC


def test_a_mainland_resident_asking_for_international_is_refused_and_audited__A8(
    runtime: Runtime,
) -> None:
    asked = refused(runtime, ELDER, channel=Channel.WEB, version=CodeVersion.INTERNATIONAL)
    assert asked == VERSION_REFUSED
    assert (rows(runtime), count_persons(runtime)) == ([], 0)
    assert [entry[0] for entry in audited(runtime)] == ["refused"]


def test_hong_kong_macao_taiwan_residents_may_choose_international__A8(runtime: Runtime) -> None:
    # A 港澳台居民居住证 number looks like a resident ID but its holder is not a mainland resident.
    chosen = apply(runtime, HK_RESIDENT, channel=Channel.WEB, version=CodeVersion.INTERNATIONAL)
    assert chosen.version is CodeVersion.INTERNATIONAL
    assert apply(runtime, HK_RESIDENT, channel=Channel.WEB).version is CodeVersion.DOMESTIC


def test_a_recent_inbound_traveller_with_a_resident_id_may_choose_international__A8(
    runtime: Runtime, clock: ManualClock
) -> None:
    returned = Person(IdType.RESIDENT_ID, resident_id(birth="19900909", seq="044"))
    with runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [fact(Entry("PVG", "FRA"), march(1), returned, Source.BORDER)])
    clock.instant = march(1) + timedelta(days=27)
    chosen = apply(runtime, returned, channel=Channel.WEB, version=CodeVersion.INTERNATIONAL)
    assert chosen.version is CodeVersion.INTERNATIONAL
    clock.instant = march(1) + timedelta(days=29)
    late = refused(runtime, returned, channel=Channel.WEB, version=CodeVersion.INTERNATIONAL)
    assert late == VERSION_REFUSED


def test_a_person_on_record_keeps_their_code__A1(runtime: Runtime) -> None:
    under_isolation = isolation("start", march(19))
    with runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [under_isolation])
    granted = apply(runtime, under_isolation.person, channel=Channel.HOTLINE)
    assert granted.colour == "red"
    with runtime.engine.connect() as connection:
        causes = list(connection.scalars(select(code_history.c.cause)))
    assert causes == ["fact"]  # applying changed nothing about the code


def test_the_code_carries_the_version_applied_for__A8(runtime: Runtime) -> None:
    apply(runtime, HK_RESIDENT, channel=Channel.WEB, version=CodeVersion.INTERNATIONAL)
    with runtime.unit_of_work(operator("channel", "code_display")) as uow:
        issued = issue_code(uow, HK_RESIDENT.key)
    assert issued.version is CodeVersion.INTERNATIONAL
    apply(runtime, HK_RESIDENT, channel=Channel.WEB, version=CodeVersion.DOMESTIC)
    with runtime.unit_of_work(operator("channel", "code_display")) as uow:
        assert issue_code(uow, HK_RESIDENT.key).version is CodeVersion.DOMESTIC

"""Loading a generated population through the same use cases as everyone else.

Facts and area feeds are parsed from their exchange records and recorded exactly as `healthcode
import` records them (validated, idempotent by `(source, event_id)`, evaluated); codes are applied
for through `apply_for_code`; venues, devices and institutions are registered through their
services. Whatever is already there is left alone, so loading twice adds nothing.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from healthcode.demo.population import PlannedApplication, Population
from healthcode.demo.timeline import Record
from healthcode.domain.facts import Person, PersonKey
from healthcode.domain.identity import IdType
from healthcode.exchange import (
    parse_fact,
    parse_register_entry,
    parse_risk_area,
    parse_severe_designation,
)
from healthcode.services.areas import record_risk_areas, record_severe_designations, run_area_jobs
from healthcode.services.checkpoint.institutions import list_institutions, register_institution
from healthcode.services.checkpoint.venues import (
    list_devices,
    list_venues,
    register_device,
    register_venue,
)
from healthcode.services.facts import record_facts
from healthcode.services.households.applications import apply_for_code
from healthcode.services.households.register import record_register
from healthcode.services.population_jobs import worker_name
from healthcode.services.refusals import Refused
from healthcode.services.runtime import Actor, Runtime, UnitOfWork
from healthcode.tokens import CodeVersion
from healthcode.tokens.jwk import public_jwk

BATCH: Final = 1000  # facts a transaction, as `healthcode import` writes them
PURPOSE: Final = "demo_load"


@dataclass(slots=True)
class LoadReport:
    """What loading added, and what it found already there."""

    added: Counter[str] = field(default_factory=Counter)
    present: Counter[str] = field(default_factory=Counter)
    conflicts: int = 0  # demo facts stored earlier with other content (another instant)
    refused: int = 0  # applications refused (none are expected)


@dataclass(frozen=True, slots=True)
class Loader:
    runtime: Runtime
    operator: str  # who runs the demo, as the audit log names them
    device_keys: Path | None = None  # where the scanners' private keys go, if anywhere

    def unit_of_work(self, role: str) -> UnitOfWork:
        return self.runtime.unit_of_work(Actor(self.operator, role, PURPOSE))


def load_population(
    loader: Loader, population: Population, progress: Callable[[str], None] = lambda _: None
) -> LoadReport:
    """Everything in dependency order: places before the facts that name them, facts before
    the applications whose codes they decide."""
    report = LoadReport()
    for step, load in (
        ("institutions", _institutions),
        ("venues and scanners", _venues),
        ("risk areas", _areas),
        ("population register", _register),
        ("facts", _facts),
        ("applications", _applications),
    ):
        progress(step)
        load(loader, population, report)
    return report


def _institutions(loader: Loader, population: Population, report: LoadReport) -> None:
    with loader.unit_of_work("system_admin") as uow:
        known = {institution.id for institution in list_institutions(uow)}
        for planned in population.institutions:
            if planned.id in known:
                report.present["institutions"] += 1
                continue
            register_institution(uow, planned.id, planned.name, planned.kind, planned.region)
            report.added["institutions"] += 1


def _venues(loader: Loader, population: Population, report: LoadReport) -> None:
    with loader.unit_of_work("system_admin") as uow:
        known = {venue.id for venue in list_venues(uow)}
        for venue in population.venues:
            if venue.id in known:
                report.present["venues"] += 1
                continue
            register_venue(uow, venue.id, venue.name, venue.category, venue.region, venue.area_risk)
            report.added["venues"] += 1
    with loader.unit_of_work("security_admin") as uow:
        known = {device.id for device in list_devices(uow)}
        for venue in population.venues:
            if venue.device_id in known:
                report.present["scanners"] += 1
                continue
            key = ec.generate_private_key(ec.SECP256R1())
            register_device(uow, venue.device_id, venue.id, public_jwk(key.public_key()))
            report.added["scanners"] += 1
            if loader.device_keys is not None:
                _keep_private_key(loader.device_keys / f"{venue.device_id}.pem", key)


def _keep_private_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """A scanner's private key, readable by its owner only, so that scans can be tried out."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)


def _areas(loader: Loader, population: Population, report: LoadReport) -> None:
    with loader.unit_of_work("area_publisher") as uow:
        areas = [
            parse_risk_area(record, _where(i)) for i, record in enumerate(population.risk_areas)
        ]
        designations = [
            parse_severe_designation(record, _where(i))
            for i, record in enumerate(population.severe)
        ]
        results = (
            record_risk_areas(uow, areas),
            record_severe_designations(uow, designations),
        )
    for result in results:
        report.added["area_listings"] += result.added + result.changed
        report.present["area_listings"] += result.unchanged
        # Persons already on file (a demo loaded again) are re-evaluated here, not later.
        run_area_jobs(loader.runtime, result, worker_name("demo"))


def _register(loader: Loader, population: Population, report: LoadReport) -> None:
    entries = [parse_register_entry(record) for record in population.register]
    with loader.unit_of_work("department_client") as uow:
        recorded = record_register(uow, entries)
    report.added["register entries"] += recorded.recorded
    report.present["register entries"] += recorded.unchanged


def _facts(loader: Loader, population: Population, report: LoadReport) -> None:
    for batch in _batches(population.events):
        facts = [parse_fact(record, where) for where, record in batch]
        with loader.unit_of_work("department_client") as uow:
            result = record_facts(uow, facts, [where for where, _ in batch])
        report.added["facts"] += result.accepted
        report.present["facts"] += result.duplicates
        report.conflicts += len(result.conflicts)


def _batches(records: Sequence[Record]) -> Iterator[list[tuple[str, Record]]]:
    located = [(_where(index), record) for index, record in enumerate(records)]
    for start in range(0, len(located), BATCH):
        yield located[start : start + BATCH]


def _where(index: int) -> str:
    return f"demo record {index + 1}"


def _applications(loader: Loader, population: Population, report: LoadReport) -> None:
    with loader.unit_of_work("channel") as uow:
        for planned in population.applications:
            if _has_applied(uow, person(planned.person)):
                report.present["applications"] += 1
                continue
            taken = _apply(uow, planned)
            if taken:
                report.added["applications"] += 1
            else:
                report.refused += 1


def _has_applied(uow: UnitOfWork, who: Person) -> bool:
    person_id = uow.people.ids_for([who.key]).get(who.key)
    store = uow.applications
    return person_id is not None and store.current_version(person_id) is not None


def _apply(uow: UnitOfWork, planned: PlannedApplication) -> bool:
    """Whether the application was granted; a refused one is audited and stored no further."""
    try:
        apply_for_code(
            uow,
            person(planned.person),
            channel=planned.channel,
            applicant=None if planned.applicant is None else person(planned.applicant),
            relationship=planned.relationship,
            version=CodeVersion.INTERNATIONAL if planned.international else None,
        )
    except Refused:
        return False
    return True


def person(record: Record) -> Person:
    """The domain's person for an exchange `person` record the demo generated (valid by design)."""

    def optional(name: str) -> str | None:
        value = record.get(name)
        return None if value is None else str(value)

    return Person(
        IdType(str(record["id_type"])),
        str(record["id_number"]),
        name=optional("name"),
        phone=optional("phone"),
        nationality=optional("nationality"),
    )


def colours(loader: Loader, population: Population) -> dict[PersonKey, str | None]:
    """Each demo person's colour now (None: no code): read at once, audited once."""
    keys = [person(demo.person).key for demo in population.persons]
    with loader.unit_of_work("operator") as uow:
        ids = uow.people.ids_for(keys)
        states = uow.states.get_many(ids.values())
        uow.audit("demo.summary", detail=f"persons={len(keys)}")
    found: dict[PersonKey, str | None] = {}
    for key in keys:
        state = states.get(ids[key]) if key in ids else None
        found[key] = None if state is None else state.colour
    return found

"""Wiring (the one place): settings → database, keys, clock; and the unit of work."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType

from sqlalchemy import Connection, Engine

from healthcode.clock import Clock, clock_for
from healthcode.db import audit
from healthcode.db.areas_store import AreaStore
from healthcode.db.engine import connect
from healthcode.db.facts_store import FactStore
from healthcode.db.people import PersonStore
from healthcode.db.rulesets_store import RulesetStore
from healthcode.db.states import StateStore
from healthcode.security.keyring import load_keyring
from healthcode.security.vault import Vault
from healthcode.settings import Settings

AUDIT_CHAIN = "audit-chain"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, in which role, for which declared purpose (D1): written into every audit entry."""

    name: str
    role: str
    purpose: str


def operator_name() -> str:
    """Who runs this process, as the audit log names them: HEALTHCODE_ACTOR, or the login."""
    return os.environ.get("HEALTHCODE_ACTOR") or getpass.getuser()


def system_actor(purpose: str) -> Actor:
    """The installation at work on its own schedule, under its operator's name."""
    return Actor(operator_name(), "system", purpose)


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    engine: Engine
    vault: Vault
    clock: Clock
    audit_key: bytes

    def unit_of_work(self, actor: Actor) -> UnitOfWork:
        return UnitOfWork(self, actor)


def open_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    vault = Vault(load_keyring(settings.keys_dir))
    return Runtime(
        settings=settings,
        engine=connect(settings.database_url),
        vault=vault,
        clock=clock or clock_for(settings),
        # The chain's key is derived from the index key, so it too lives outside the database.
        audit_key=vault.blind_index(AUDIT_CHAIN, "chain key v1"),
    )


class UnitOfWork:
    """One transaction: the stores bound to it, the instant it runs at, and its audit trail."""

    connection: Connection
    people: PersonStore
    facts: FactStore
    states: StateStore
    areas: AreaStore
    rulesets: RulesetStore

    def __init__(self, runtime: Runtime, actor: Actor) -> None:
        self.runtime = runtime
        self.actor = actor
        self.now: datetime = runtime.clock.now()
        self._transaction = runtime.engine.begin()

    def __enter__(self) -> UnitOfWork:
        self.connection = self._transaction.__enter__()
        vault = self.runtime.vault
        self.people = PersonStore(self.connection, vault)
        self.facts = FactStore(self.connection, vault)
        self.states = StateStore(self.connection, vault)
        self.areas = AreaStore(self.connection)
        self.rulesets = RulesetStore(self.connection)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._transaction.__exit__(kind, error, trace)

    def audit(
        self, action: str, target: str | None = None, outcome: str = "ok", detail: str | None = None
    ) -> None:
        entry = audit.AuditEntry(
            actor=self.actor.name,
            role=self.actor.role,
            purpose=self.actor.purpose,
            action=action,
            object=target,
            outcome=outcome,
            detail=detail,
        )
        audit.append(self.connection, self.runtime.audit_key, entry, self.now)

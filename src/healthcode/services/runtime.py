"""Wiring (the one place): settings → database, keys, clock; and the unit of work."""

from __future__ import annotations

import getpass
import os
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Connection, Engine

from healthcode.clock import Clock, clock_for
from healthcode.db import audit
from healthcode.db.accounts_store import ClientStore, ResidentStore, StaffStore
from healthcode.db.appeals_store import AppealStore
from healthcode.db.applications_store import ApplicationStore
from healthcode.db.areas_store import AreaStore
from healthcode.db.audit_group import AuditGroupCommitter
from healthcode.db.code_subjects_store import CodeSubjectStore
from healthcode.db.engine import WriterNeededError, connect, private_pool, reading
from healthcode.db.fact_snapshots import FactSnapshotStore
from healthcode.db.facts_store import FactStore
from healthcode.db.institutions_store import InstitutionStore
from healthcode.db.jobs_store import JobStore
from healthcode.db.limits_store import LimitCounterStore, ScanNonceStore
from healthcode.db.pending_links_store import PendingLinkStore
from healthcode.db.people import PersonStore
from healthcode.db.register_store import RegisterStore
from healthcode.db.rulesets_store import RulesetStore
from healthcode.db.sessions_store import OneTimeCodeStore, OutboxStore, SessionStore
from healthcode.db.shared_state import LocalState, SharedState, shared_state_for
from healthcode.db.signing_store import SigningKeyStore
from healthcode.db.states import StateStore
from healthcode.db.tallies_store import TallyStore
from healthcode.db.trusted_issuers_store import TrustedIssuerStore
from healthcode.db.venues_store import VenueStore
from healthcode.security.keyring import load_keyring
from healthcode.security.vault import Vault
from healthcode.services.cache_counts import CacheCounts, Lookup
from healthcode.services.refusals import Refused
from healthcode.settings import Settings

AUDIT_CHAIN = "audit-chain"
AUDIT_CHAIN_KEY = "chain key v1"


# How long a process reuses what it read of its keys (ADR 0019): a rotation or revocation takes
# effect at once in the process that made it, and within this in the others.
MEMO_SECONDS = 5.0
_T = TypeVar("_T")


class ProcessMemo:
    """What this process may reuse for a few seconds instead of reading and parsing it again:
    its signing key, the public keys it verifies with, registered venues. Never personal data.

    Keys are tuples whose first item names the kind of entry: lookups are counted by it
    (`counts`, cache `memo_<kind>`), for `/metrics`.
    """

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[float, object]] = {}
        self._lock = threading.Lock()
        self.counts = CacheCounts()

    def get(self, key: Hashable, make: Callable[[], _T], seconds: float = MEMO_SECONDS) -> _T:
        now = time.monotonic()
        entry = self._entries.get(key)
        cache = f"memo_{key[0] if isinstance(key, tuple) and key else key}"
        if entry is not None and now - entry[0] < seconds:
            self.counts.count(cache, Lookup.HIT)
            return entry[1]  # type: ignore[return-value]
        self.counts.count(cache, Lookup.MISS)
        value = make()
        with self._lock:
            self._entries[key] = (now, value)
        return value

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def forget_kind(self, kind: str) -> None:
        """Forget every entry whose key's first item is `kind`."""
        with self._lock:
            for key in [
                key for key in self._entries if isinstance(key, tuple) and key[:1] == (kind,)
            ]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


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
    # Sessions, throttles and caches every process sees alike (Redis), or this process's memory.
    shared: SharedState = field(default_factory=LocalState)
    memo: ProcessMemo = field(default_factory=ProcessMemo)
    # Lookups of the caches in the shared state (colours, pseudonyms), for `/metrics`.
    cache_counts: CacheCounts = field(default_factory=CacheCounts)
    # Reading units of work: the same pool, transactions that take no writer lock (ADR 0021).
    reader: Engine = field(init=False, repr=False)
    # Where reading units of work commit their audit entries, many requests at a time.
    audit_group: AuditGroupCommitter = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "reader", reading(self.engine))
        # On a pool of its own: requests waiting for a batch hold connections of the main pool.
        group = AuditGroupCommitter(private_pool(self.engine), self.audit_key)
        object.__setattr__(self, "audit_group", group)

    def unit_of_work(self, actor: Actor) -> UnitOfWork:
        return UnitOfWork(self, actor)

    def reading(self, actor: Actor) -> UnitOfWork:
        """A unit of work that only reads: it takes no writer lock (SQLite) and is READ ONLY
        (PostgreSQL); its audit entries commit through the group committer before it returns.
        A write in it raises WriterNeededError before the statement is sent."""
        return UnitOfWork(self, actor, reading=True)

    def read_or_write(self, actor: Actor, work: Callable[[UnitOfWork], _T]) -> _T:
        """`work` in a reading unit of work, or again in a writing one if it turns out to write.

        `work` may therefore run twice: what it does before its first write must be reading
        (or harmless to repeat). Its audit entries from the first run are dropped with it."""
        try:
            with self.reading(actor) as uow:
                return work(uow)
        except WriterNeededError:
            with self.unit_of_work(actor) as uow:
                return work(uow)


def open_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    vault = Vault(load_keyring(settings.keys_dir))
    return Runtime(
        settings=settings,
        engine=connect(settings.database_url),
        vault=vault,
        clock=clock or clock_for(settings),
        # The chain's key is derived from the index key, so it too lives outside the database.
        audit_key=vault.blind_index(AUDIT_CHAIN, AUDIT_CHAIN_KEY),
        shared=shared_state_for(settings.redis_url, settings.task_namespace),
    )


class UnitOfWork:
    """One transaction: the instant it runs at, its audit trail, and every store bound to it.

    A store is reached only as an attribute of the unit of work (`uow.venues`), made on first use;
    nothing else builds one from the connection.

    A writing unit of work (the default) appends its audit entries in its own transaction, so an
    entry commits with the write it describes. A reading one (`Runtime.reading`) writes nothing
    itself: its entries are handed to the group committer when it ends, and `__exit__` returns
    only once they are durable (or raises AuditNotDurableError).
    """

    connection: Connection

    def __init__(self, runtime: Runtime, actor: Actor, *, reading: bool = False) -> None:
        self.runtime = runtime
        self.actor = actor
        self.reading = reading
        self.now: datetime = runtime.clock.now()
        self._transaction = (runtime.reader if reading else runtime.engine).begin()
        self._after_commit: list[Callable[[], None]] = []
        self._entries: list[tuple[audit.AuditEntry, datetime]] = []

    def __enter__(self) -> UnitOfWork:
        self.connection = self._transaction.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if isinstance(error, Refused):
            # A refusal is an answer, not a failure: its audit entry commits; the caller is told.
            self._transaction.__exit__(None, None, None)
        else:
            self._transaction.__exit__(kind, error, trace)
            if error is not None:
                return
        if self._entries:
            # Durable before anyone is answered; a failure here replaces the answer (a 503).
            self.runtime.audit_group.commit(self._entries)
            self._entries = []
        for action in self._after_commit:
            action()

    def count_limit_hits(self, hits: Sequence[tuple[bytes, timedelta, int]]) -> list[int]:
        """One more hit on each limit counter `(key, window, limit)` in turn (ADR 0008), stopping
        after the first whose count passes its limit (a request refused for one limit does not
        use up the next); the counts made.

        A reading unit of work counts them in the group committer's next transaction and goes on
        once that has committed: counted durably and atomically, in one wait, without this
        request holding the writer lock for its reads."""
        now = self.now

        def counted(connection: Connection) -> list[int]:
            store, counts = LimitCounterStore(connection), []
            for key, window, limit in hits:
                counts.append(store.hit(key, now, window))
                if counts[-1] > limit:
                    break
            return counts

        if not self.reading:
            return counted(self.connection)
        (counts,) = self.runtime.audit_group.commit((), (counted,))
        return list(counts)

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once this unit of work has committed (never if it rolls back): how what
        lives beside the database (the shared caches, ADR 0019) learns of a write."""
        self._after_commit.append(action)

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
        if self.reading:
            self._entries.append((entry, self.now))
            return
        audit.append(self.connection, self.runtime.audit_key, entry, self.now)

    # The stores, each made on first use and bound to this transaction's connection.
    people = cached_property(lambda self: PersonStore(self.connection, self.runtime.vault))
    facts = cached_property(lambda self: FactStore(self.connection, self.runtime.vault))
    fact_snapshots = cached_property(
        lambda self: FactSnapshotStore(self.connection, self.runtime.vault)
    )
    states = cached_property(lambda self: StateStore(self.connection, self.runtime.vault))
    areas = cached_property(lambda self: AreaStore(self.connection))
    rulesets = cached_property(lambda self: RulesetStore(self.connection))
    appeals = cached_property(lambda self: AppealStore(self.connection, self.runtime.vault))
    applications = cached_property(lambda self: ApplicationStore(self.connection))
    code_subjects = cached_property(lambda self: CodeSubjectStore(self.connection))
    institutions = cached_property(lambda self: InstitutionStore(self.connection))
    residents = cached_property(lambda self: ResidentStore(self.connection, self.runtime.vault))
    staff = cached_property(lambda self: StaffStore(self.connection, self.runtime.vault))
    clients = cached_property(lambda self: ClientStore(self.connection))
    sessions = cached_property(lambda self: SessionStore(self.connection, self.runtime.vault))
    pending_links = cached_property(
        lambda self: PendingLinkStore(self.connection, self.runtime.vault)
    )
    register = cached_property(lambda self: RegisterStore(self.connection, self.runtime.vault))
    one_time_codes = cached_property(lambda self: OneTimeCodeStore(self.connection))
    outbox = cached_property(lambda self: OutboxStore(self.connection, self.runtime.vault))
    limits = cached_property(lambda self: LimitCounterStore(self.connection))
    scan_nonces = cached_property(lambda self: ScanNonceStore(self.connection))
    signing_keys = cached_property(lambda self: SigningKeyStore(self.connection))
    tallies = cached_property(lambda self: TallyStore(self.connection))
    trusted_issuers = cached_property(lambda self: TrustedIssuerStore(self.connection))
    venues = cached_property(lambda self: VenueStore(self.connection))
    jobs = cached_property(lambda self: JobStore(self.connection))  # population jobs

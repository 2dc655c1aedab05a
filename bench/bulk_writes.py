"""Benchmark: sealing per batch and writing per batch (issue #12), against per value and per row.

    .venv/bin/python bench/bulk_writes.py [--values 20000] [--persons 5000] [--repeat 3]

In one run, timed in turns (median of `--repeat`), on this machine:
(a) sealing: `Vault.seal` per value (format 1: its own data key, wrapped), a `Sealer` (format 2:
    one data key wrapped once) and a bare AES-GCM encryption under one key with a random nonce
    (the floor: what any envelope costs); and opening the two formats again;
(b) on a fresh SQLite file and a fresh PostgreSQL database (`healthcode_bench_<pid>`, dropped
    afterwards): persons written the way the import did (one INSERT a person, format 1), through
    `PersonStore.add` in a loop and with `PersonStore.add_many`; code states inserted and updated
    one statement a person (format 1) against `StateStore.save_many` (updates on PostgreSQL: COPY
    into a staging table and one UPDATE … FROM), and, on PostgreSQL, the update alone (rows sealed
    beforehand) that way, as an executemany of UPDATE and as `INSERT … ON CONFLICT DO UPDATE`;
    history one INSERT a change against `StateStore.record_changes`.
Each write is one transaction. The claim is the ratios within one run (the machine is shared).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, Engine, bindparam, insert, update
from sqlalchemy.dialects import postgresql

from healthcode.db.engine import connect
from healthcode.db.migrate import upgrade
from healthcode.db.people import PersonStore, new_person_row, person_index
from healthcode.db.schema import code_history, code_states, persons
from healthcode.db.states import StateChange, StateSave, StateStore, StoredState
from healthcode.db.writes import _update_through_copy
from healthcode.domain.facts import Person
from healthcode.domain.identity import IdType, resident_id_check_digit
from healthcode.domain.timezones import CHINA_TIME
from healthcode.security.keyring import generate_keyring
from healthcode.security.pseudonyms import new_person_id
from healthcode.security.vault import Vault
from import_population import POSTGRES_ADMIN_URL, fresh_database

NOW = datetime(2021, 3, 20, 12, tzinfo=CHINA_TIME)
DECISION = {
    "color": "yellow",
    "rules": ["R2-close-contact"],
    "clauses": ["§3.2"],
    "measure": {"kind": "home_health_monitoring", "until": "2021-03-27T00:00:00+08:00"},
    "flags": [],
}
_numbers = itertools.count()
STATE_COLUMNS = ("decision_sealed", "since", "ruleset", "evaluated_at", "next_review_at")
KEYRING = generate_keyring(NOW)


def new_persons(count: int) -> list[Person]:
    """Distinct resident IDs (a birth year and sequence per person), each with a name and phone."""
    persons: list[Person] = []
    for _ in range(count):
        i = next(_numbers)
        first17 = f"330106{1900 + i // 1000}0101{i % 1000:03d}"
        number = first17 + resident_id_check_digit(first17)
        persons.append(Person(IdType.RESIDENT_ID, number, "张小三", "13800138000", "CHN"))
    return persons


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# --- sealing -------------------------------------------------------------------------------------


def sealing(vault: Vault, values: int, repeat: int) -> list[tuple[str, float]]:
    plaintext = json.dumps(DECISION, separators=(",", ":"), sort_keys=True).encode()
    contexts = [f"code_state:{new_person_id()}" for _ in range(values)]
    floor_key = AESGCM(AESGCM.generate_key(bit_length=256))

    def per_value() -> list[bytes]:
        return [vault.seal(plaintext, context) for context in contexts]

    def per_batch() -> list[bytes]:
        sealer = vault.sealer()
        return [sealer.seal(plaintext, context) for context in contexts]

    def bare() -> list[bytes]:
        out = []
        for context in contexts:
            nonce = os.urandom(12)
            out.append(nonce + floor_key.encrypt(nonce, plaintext, context.encode()))
        return out

    v1, v2 = per_value(), per_batch()

    def open_all(sealed: list[bytes]) -> Callable[[], None]:
        def run() -> None:
            opener = Vault(KEYRING)  # a cold key cache, as a new process reading a batch
            for value, context in zip(sealed, contexts, strict=True):
                opener.open(value, context)

        return run

    kinds: list[tuple[str, Callable[[], object]]] = [
        ("seal: `Vault.seal` per value (format 1)", per_value),
        ("seal: one `Sealer` (format 2)", per_batch),
        ("seal: bare AES-GCM, one key (floor)", bare),
        ("open: format 1 values", open_all(v1)),
        ("open: format 2 values of one batch", open_all(v2)),
    ]
    return in_turns(kinds, repeat)


def in_turns(kinds: list[tuple[str, Callable[[], object]]], repeat: int) -> list[tuple[str, float]]:
    times: dict[str, list[float]] = {name: [] for name, _ in kinds}
    for _ in range(repeat):
        for name, action in kinds:
            times[name].append(timed(action))
    return [(name, statistics.median(times[name])) for name, _ in kinds]


# --- writes --------------------------------------------------------------------------------------


def state(colour: str) -> StoredState:
    return StoredState(
        {**DECISION, "color": colour}, NOW, "cn-2021@1", NOW, NOW + timedelta(days=14)
    )


def legacy_state_values(vault: Vault, person_id: str, stored: StoredState) -> dict[str, object]:
    return {
        "decision_sealed": vault.seal_json(stored.decision, f"code_state:{person_id}"),
        "since": stored.since,
        "ruleset": stored.ruleset,
        "evaluated_at": stored.evaluated_at,
        "next_review_at": stored.next_review_at,
    }


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    with engine.begin() as connection:
        yield connection


def writes(  # noqa: PLR0915  (one closure a kind of write, timed in turns)
    engine: Engine, vault: Vault, count: int, repeat: int
) -> list[tuple[str, float]]:
    postgres = engine.dialect.name == "postgresql"

    def legacy_persons() -> None:
        # The import's writer before issue #12: one INSERT … VALUES a person, format-1 seals.
        with transaction(engine) as connection:
            for person in new_persons(count):
                index = person_index(vault, person.key)
                row = new_person_row(vault, person, index)  # type: ignore[arg-type]
                connection.execute(insert(persons).values(row | {"created_at": NOW}))

    def add_loop() -> None:
        with transaction(engine) as connection:
            store = PersonStore(connection, vault)
            for person in new_persons(count):
                store.add(person, NOW)

    def add_many() -> None:
        with transaction(engine) as connection:
            PersonStore(connection, vault).add_many(new_persons(count), NOW)

    def persons_without_states() -> list[str]:
        with transaction(engine) as connection:
            return PersonStore(connection, vault).add_many(new_persons(count), NOW)

    def legacy_state_inserts() -> None:
        ids = persons_without_states()
        started = time.perf_counter()
        with transaction(engine) as connection:
            for person_id in ids:
                values = legacy_state_values(vault, person_id, state("green"))
                connection.execute(insert(code_states).values(person_id=person_id, **values))
        laps["legacy-insert"].append(time.perf_counter() - started)

    def save_many_inserts() -> None:
        ids = persons_without_states()
        started = time.perf_counter()
        with transaction(engine) as connection:
            StateStore(connection, vault).save_many(
                [StateSave(person_id, state("green"), existed=False) for person_id in ids]
            )
        laps["save_many-insert"].append(time.perf_counter() - started)
        existing.extend(ids)

    existing: list[str] = []
    laps: dict[str, list[float]] = {"legacy-insert": [], "save_many-insert": []}

    def targets() -> list[str]:
        return existing[:count]

    def legacy_updates() -> None:
        with transaction(engine) as connection:
            for person_id in targets():
                values = legacy_state_values(vault, person_id, state("yellow"))
                connection.execute(
                    update(code_states).where(code_states.c.person_id == person_id).values(values)
                )

    def save_many_updates() -> None:
        with transaction(engine) as connection:
            StateStore(connection, vault).save_many(
                [StateSave(person_id, state("red"), existed=True) for person_id in targets()]
            )

    def sealed_rows() -> list[dict[str, object]]:
        sealer = vault.sealer()
        return [
            {
                "person_id": person_id,
                "decision_sealed": sealer.seal_json(DECISION, f"code_state:{person_id}"),
                "since": NOW,
                "ruleset": "cn-2021@1",
                "evaluated_at": NOW,
                "next_review_at": None,
            }
            for person_id in targets()
        ]

    # The three ways PostgreSQL could apply an update batch, on the same rows sealed once: the
    # write alone, so that sealing and row building do not blur the comparison.
    prepared: list[dict[str, object]] = []

    def staged_updates() -> None:
        with transaction(engine) as connection:
            columns = tuple(STATE_COLUMNS)
            _update_through_copy(connection, code_states, "person_id", columns, prepared)

    def upsert_updates() -> None:
        with transaction(engine) as connection:
            statement = postgresql.insert(code_states)
            statement = statement.on_conflict_do_update(
                index_elements=[code_states.c.person_id],
                set_={name: statement.excluded[name] for name in STATE_COLUMNS},
            )
            connection.execute(statement, prepared)

    def executemany_updates() -> None:
        with transaction(engine) as connection:
            rows = [{**row, "key_": row["person_id"]} for row in prepared]
            for row in rows:
                del row["person_id"]
            statement = (
                update(code_states)
                .where(code_states.c.person_id == bindparam("key_"))
                .values({name: bindparam(name) for name in STATE_COLUMNS})
            )
            connection.execute(statement, rows)

    def legacy_history() -> None:
        with transaction(engine) as connection:
            for person_id in targets():
                stored = state("red")
                connection.execute(
                    insert(code_history).values(
                        person_id=person_id,
                        changed_at=stored.evaluated_at,
                        cause="area",
                        cause_ref=None,
                        decision_sealed=vault.seal_json(
                            stored.decision, f"code_history:{person_id}"
                        ),
                        ruleset=stored.ruleset,
                    )
                )

    def record_changes() -> None:
        with transaction(engine) as connection:
            StateStore(connection, vault).record_changes(
                [StateChange(person_id, state("red"), "area", None) for person_id in targets()]
            )

    # States to update must exist first: one untimed batch.
    save_many_inserts()
    laps["save_many-insert"].clear()
    prepared.extend(sealed_rows())
    kinds: list[tuple[str, Callable[[], object]]] = [
        ("persons: one INSERT a person, format 1 (before)", legacy_persons),
        ("persons: `PersonStore.add` in a loop", add_loop),
        ("persons: `PersonStore.add_many`", add_many),
        ("states, new: one INSERT a person, format 1 (before)", legacy_state_inserts),
        ("states, new: `StateStore.save_many`", save_many_inserts),
        ("states, existing: one UPDATE a person, format 1 (before)", legacy_updates),
        ("states, existing: `StateStore.save_many`", save_many_updates),
        ("history: one INSERT a change, format 1 (before)", legacy_history),
        ("history: `StateStore.record_changes`", record_changes),
    ]
    if postgres:
        kinds += [
            ("update alone: COPY to staging + UPDATE … FROM (save_many's)", staged_updates),
            ("update alone: executemany of UPDATE", executemany_updates),
            ("update alone: INSERT … ON CONFLICT DO UPDATE", upsert_updates),
        ]
    measured = dict(in_turns(kinds, repeat))
    # The state inserts time only their own transaction, not the persons made for them.
    measured[kinds[3][0]] = statistics.median(laps["legacy-insert"])
    measured[kinds[4][0]] = statistics.median(laps["save_many-insert"])
    return [(name, measured[name]) for name, _ in kinds]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--values", type=int, default=20_000, help="values sealed")
    parser.add_argument("--persons", type=int, default=5_000, help="rows per write")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", default=POSTGRES_ADMIN_URL, help="admin URL")
    args = parser.parse_args()
    vault = Vault(KEYRING)

    print(f"Sealing {args.values:,} code-state decisions, median of {args.repeat}:\n")
    print("| sealing | s | values/s | × floor |")
    print("|---|--:|--:|--:|")
    results = sealing(vault, args.values, args.repeat)
    floor = dict(results)["seal: bare AES-GCM, one key (floor)"]
    for name, seconds in results:
        print(f"| {name} | {seconds:.3f} | {args.values / seconds:,.0f} | {seconds / floor:.1f} |")
    sys.stdout.flush()

    for kind in ("sqlite", "postgresql"):
        with (
            tempfile.TemporaryDirectory() as folder,
            fresh_database(kind, Path(folder), args.postgres) as url,
        ):
            engine = connect(url)
            upgrade(engine)
            rows = writes(engine, vault, args.persons, args.repeat)
            engine.dispose()
        print(f"\n{kind}: {args.persons:,} rows a write, one transaction, median of {args.repeat}:")
        print("\n| write | s | rows/s |")
        print("|---|--:|--:|")
        for name, seconds in rows:
            print(f"| {name} | {seconds:.3f} | {args.persons / seconds:,.0f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

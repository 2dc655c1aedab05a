"""The fact log: append-only, idempotent on (source, event_id), health data sealed (S5, D2)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, select, text, tuple_

from healthcode.db.arrays import key_array
from healthcode.db.copy_binary import (
    bytes_field,
    copy_binary,
    field_count,
    instant_field,
    text_field,
)
from healthcode.db.lookups import any_of
from healthcode.db.schema import facts, trip_regions
from healthcode.db.writes import chunks, insert_ignoring_duplicates, insert_rows
from healthcode.domain.facts import Fact, Source
from healthcode.domain.regions import codes_within, normalise
from healthcode.exchange import parse_fact
from healthcode.exchange.writer import fact_record, without_contact
from healthcode.security.vault import Sealer, Vault

FACT_DIGEST = "fact-content"
REGION_INDEX = "stay-region"

Identity = tuple[str, str]
"""(source, event_id): what makes a fact the same fact when a department sends it again."""


@dataclass(frozen=True, slots=True)
class FactContent:
    """A fact's keyed content digest, and the record it was computed over (with contact
    details): kept so that sealing the fact does not build its record a second time."""

    digest: bytes
    record: dict[str, object]


class NewFact(NamedTuple):
    """A fact ready to be stored: digest, sealed payload and stay indexes already made (by
    `fact_content`, `sealed_payload` and `region_indexes`, in any process holding the keys)."""

    person_id: str
    source: str
    event_id: str
    content_digest: bytes
    occurred_at: datetime
    payload_sealed: bytes
    stays: tuple[bytes, ...]  # a trip's region indexes (`region_indexes`); () for other facts
    # Its columns but `person_id` and `recorded_at` as binary COPY fields (`fact_copy_fields`),
    # made where it was prepared; None: made by `FactStore.add` if it needs them.
    copy_fields: bytes | None = None


# The order `fact_copy_fields` encodes them in; the writer's two follow (`FactStore.add`).
_COPY_COLUMNS = (
    "source", "event_id", "content_digest", "occurred_at", "payload_sealed",
    "person_id", "recorded_at",
)  # fmt: skip
_COPY_FIELDS = field_count(len(_COPY_COLUMNS))


def fact_copy_fields(
    source: str, event_id: str, digest: bytes, occurred_at: datetime, payload_sealed: bytes
) -> bytes:
    """A fact's columns but its person's id and `recorded_at`, in PostgreSQL's binary COPY
    form: what an import's workers make, so that the writer only appends the last two."""
    return b"".join(
        (
            text_field(source),
            text_field(event_id),
            bytes_field(digest),
            instant_field(occurred_at),
            bytes_field(payload_sealed),
        )
    )


# What `json.dumps(record, sort_keys=True, ensure_ascii=False)` builds on every call, built once:
# the same text (stored digests depend on it), without an encoder made per fact.
_DIGEST_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


def fact_content(vault: Vault, fact: Fact) -> FactContent:
    record = fact_record(fact)
    # Keyed, so that a digest cannot be used to confirm a guess about someone's health data.
    canonical = _DIGEST_JSON.encode(record)
    return FactContent(vault.blind_index(FACT_DIGEST, canonical), record)


def sealed_payload(sealer: Sealer, fact: Fact, content: FactContent) -> bytes:
    # Contact details live with the person (`fact_record(fact, with_contact=False)`).
    return sealer.seal_json(without_contact(content.record), _context(fact.source, fact.event_id))


def region_indexes(vault: Vault, region: str) -> tuple[bytes, ...]:
    """The stay indexes of a trip to `region`: one for each of its county, township and village
    prefixes (or its own code, for a trip to a province or prefecture as a whole), so that an
    area change finds every stay inside it (`FactStore.persons_who_stayed_in`).

    No province or prefecture prefix (ADR 0024): an area that large is found through the codes
    of the division table it covers, so a trip writes two or three index rows instead of four
    or five, each a row of a table with two random-keyed indexes.
    """
    code = normalise(region)
    prefixes = [code[:length] for length in _STAY_PREFIXES if length <= len(code)] or [code]
    return tuple(vault.blind_index(REGION_INDEX, prefix) for prefix in prefixes)


_STAY_PREFIXES = (6, 9, 12)  # county, township, village (domain/regions.py)


class FactStore:
    def __init__(self, connection: Connection, vault: Vault) -> None:
        self._connection = connection
        self._vault = vault

    def known_digests(self, identities: Iterable[Identity]) -> dict[Identity, bytes]:
        wanted = list(identities)
        if not wanted:
            return {}
        if self._connection.dialect.name == "postgresql":
            # The pairs as two arrays, joined on the unique key: one statement for the batch
            # (db/lookups.py says why), where chunks of `(source, event_id) IN (…)` took a
            # tenth of an import.
            sources, event_ids = zip(*wanted, strict=True)
            rows = self._connection.execute(
                _KNOWN_PAIRS.bindparams(
                    key_array(self._connection, "sources", sources, facts.c.source.type),
                    key_array(self._connection, "event_ids", event_ids, facts.c.event_id.type),
                )
            )
            return {(row.source, row.event_id): row.content_digest for row in rows}
        known: dict[Identity, bytes] = {}
        for batch in chunks(wanted):
            rows = self._connection.execute(
                select(facts.c.source, facts.c.event_id, facts.c.content_digest).where(
                    tuple_(facts.c.source, facts.c.event_id).in_(batch)
                )
            )
            known.update({(row.source, row.event_id): row.content_digest for row in rows})
        return known

    def add(self, new: Sequence[NewFact], now: datetime) -> None:
        """Append facts with one write (binary COPY on PostgreSQL), and their stays' indexes."""
        if self._connection.dialect.name == "postgresql":
            self._copy(new, now)
        else:
            self._insert(new, now)
        stays = [
            {"person_id": item.person_id, "region_index": index}
            for item in new
            for index in item.stays
        ]
        insert_ignoring_duplicates(self._connection, trip_regions, stays)

    def _copy(self, new: Sequence[NewFact], now: datetime) -> None:
        # Every fact's fields are made already (by a worker, for an import): the row is those,
        # its person's id and this commit's instant. No unique key can collide here that the
        # caller has not checked (`known_digests`); one that does fails the batch, as before.
        recorded_at = instant_field(now)
        person_fields: dict[str, bytes] = {}
        rows = []
        for item in new:
            person = person_fields.get(item.person_id)
            if person is None:
                person = person_fields[item.person_id] = text_field(item.person_id)
            fields = item.copy_fields or fact_copy_fields(
                item.source, item.event_id, item.content_digest, item.occurred_at,
                item.payload_sealed,
            )  # fmt: skip
            rows.append(b"".join((_COPY_FIELDS, fields, person, recorded_at)))
        copy_binary(self._connection, facts.name, _COPY_COLUMNS, rows)

    def _insert(self, new: Sequence[NewFact], now: datetime) -> None:
        rows = [
            {
                "person_id": item.person_id,
                "source": item.source,
                "event_id": item.event_id,
                "content_digest": item.content_digest,
                "occurred_at": item.occurred_at,
                "payload_sealed": item.payload_sealed,
                "recorded_at": now,
            }
            for item in new
        ]
        insert_rows(self._connection, facts, rows)

    def of_persons(self, person_ids: Iterable[str]) -> dict[str, list[Fact]]:
        return {
            person_id: [parse_fact(record) for record in records]
            for person_id, records in self.records_of(person_ids).items()
        }

    def records_of(self, person_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """Each person's fact records as stored (SPEC §1, without contact details), opened but
        not parsed again: the columnar path frames them directly
        (`domain.columnar.frames.population_frame_of_records`), in the order of `of_persons`."""
        found: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for condition in any_of(self._connection, facts.c.person_id, list(person_ids)):
            rows = self._connection.execute(
                select(facts.c.person_id, facts.c.source, facts.c.event_id, facts.c.payload_sealed)
                .where(condition)
                .order_by(facts.c.id)
            )
            for row in rows:
                context = _context(row.source, row.event_id)
                record = self._vault.open_json(row.payload_sealed, context)
                found[row.person_id].append(record)  # type: ignore[arg-type]
        return found

    def persons_who_stayed_in(self, region: str) -> list[str]:
        """Everyone with a stay in `region` or in any place it covers (prefix matching), once.

        A county or smaller area is one index (every stay under it has it: `region_indexes`); a
        province or prefecture is every code of the division table it covers, as stored under
        each (its six digits, or fewer for a trip to a prefecture as a whole), and itself, which
        finds the stays indexed before ADR 0024 (those have every prefix).
        """
        code = normalise(region)
        covered = [code] if len(code) >= min(_STAY_PREFIXES) else _stay_codes_within(code)
        indexes = [self._vault.blind_index(REGION_INDEX, each) for each in covered]
        found: dict[str, None] = {}
        for condition in any_of(self._connection, trip_regions.c.region_index, indexes):
            rows = self._connection.execute(select(trip_regions.c.person_id).where(condition))
            found.update(dict.fromkeys(row.person_id for row in rows))
        return list(found)


# PostgreSQL only (`known_digests`); the column types are the schema's (String(16), String(128)).
_KNOWN_PAIRS = text(
    "SELECT facts.source, facts.event_id, facts.content_digest FROM facts"
    " JOIN unnest(CAST(:sources AS varchar[]), CAST(:event_ids AS varchar[]))"
    " AS wanted (source, event_id)"
    " ON facts.source = wanted.source AND facts.event_id = wanted.event_id"
)


def _stay_codes_within(area: str) -> list[str]:
    """The stay index codes a province or prefecture `area` (normalised) covers."""
    codes = {area}
    for county in codes_within(area):
        codes |= {county, normalise(county)}
    return sorted(codes)


def _context(source: str | Source, event_id: str) -> str:
    return f"fact:{Source(source).value}:{event_id}"


def fact_context(source: str, event_id: str) -> str:
    """Where a fact's payload is sealed: what reading facts elsewhere (db/fact_snapshots.py)
    opens them with."""
    return _context(source, event_id)

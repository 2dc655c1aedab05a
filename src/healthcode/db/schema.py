"""The tables. Personal data is sealed (encrypted) before it reaches them; see docs/data.md.

Columns in clear are only what the system must find or order by without reading anyone's data:
pseudonymous ids, keyed blind indexes, instants, versions and the audit log.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Sequence,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from healthcode.db.types import UtcInstant

# Named constraints, so that migrations can refer to them on every database.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Instant = UtcInstant()
# SQLite has no 64-bit autoincrement type; BigInteger there is plain INTEGER (the rowid).
Serial = BigInteger().with_variant(Integer(), "sqlite")

persons = Table(
    "persons",
    metadata,
    Column("id", String(36), primary_key=True),  # random UUID: a pseudonym, nothing derived
    Column("id_type", String(32), nullable=False),
    Column("id_index", LargeBinary(32), nullable=False, unique=True),  # HMAC blind index
    Column("id_number_sealed", LargeBinary, nullable=False),
    Column("id_number_masked", String(32), nullable=False),
    Column("name_sealed", LargeBinary),
    Column("name_masked", String(64)),
    Column("phone_sealed", LargeBinary),
    Column("address_sealed", LargeBinary),
    Column("nationality_sealed", LargeBinary),
    # The county of registration (GB/T 2260, 6 digits): coarse, needed for local handling (属地).
    Column("home_region", String(6)),
    Column("created_at", Instant, nullable=False),
    # db/buckets.py: a stable hash of the id, set at insert. Population jobs read a partition as a
    # range of this index, in (bucket, id) order, a page at a time (keyset paging, no OFFSET).
    Column("bucket", SmallInteger, nullable=False),
    Index("ix_persons_bucket_id", "bucket", "id"),
)

facts = Table(
    "facts",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("person_id", String(36), ForeignKey("persons.id"), nullable=False, index=True),
    Column("source", String(16), nullable=False),
    Column("event_id", String(128), nullable=False),
    Column("content_digest", LargeBinary(32), nullable=False),  # keyed: equal content, equal digest
    Column("occurred_at", Instant, nullable=False),
    Column("payload_sealed", LargeBinary, nullable=False),  # type and fields: health data
    Column("recorded_at", Instant, nullable=False),
    UniqueConstraint("source", "event_id", name="uq_facts_source_event_id"),
)

# A derived, sealed copy of the facts of one shard (a bucket, db/buckets.py) in columns, for the
# population engine (ADR 0013): the facts with id <= through_fact_id as one Arrow IPC stream,
# sealed with one AES-GCM operation. The facts stay the record; a snapshot can be dropped at any
# time and is rebuilt by the next population job that reads the shard.
fact_snapshots = Table(
    "fact_snapshots",
    metadata,
    Column("shard", SmallInteger, primary_key=True),
    Column("through_fact_id", BigInteger, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("token", String(32), nullable=False),  # random per build: what a process caches by
    Column("payload_sealed", LargeBinary, nullable=False),
    Column("built_at", Instant, nullable=False),
)

# Which persons have stayed in which regions, by keyed index of every covering prefix: a changed
# risk area finds exactly the persons it can touch without any region being stored in clear.
trip_regions = Table(
    "trip_regions",
    metadata,
    Column("person_id", String(36), ForeignKey("persons.id"), primary_key=True),
    Column("region_index", LargeBinary(32), primary_key=True),
    Index("ix_trip_regions_region_index", "region_index"),
)

risk_areas = Table(
    "risk_areas",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("region", String(12), nullable=False),
    Column("level", String(8), nullable=False),
    Column("effective_from", Instant, nullable=False),
    Column("effective_to", Instant),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", Instant, nullable=False),
    UniqueConstraint("region", "effective_from", name="uq_risk_areas_region_effective_from"),
)

severe_designations = Table(
    "severe_designations",
    metadata,
    Column("designation_id", String(64), primary_key=True),
    Column("region", String(12)),
    Column("venue_id", String(64)),
    Column("lookback_days", Integer, nullable=False),
    Column("effective_from", Instant, nullable=False),
    Column("effective_to", Instant),
    Column("approved_by", String(128), nullable=False),
    Column("assessment_ref", String(128), nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", Instant, nullable=False),
)

code_states = Table(
    "code_states",
    metadata,
    Column("person_id", String(36), ForeignKey("persons.id"), primary_key=True),
    Column("decision_sealed", LargeBinary, nullable=False),  # colour, rules, measure, flags
    Column("since", Instant, nullable=False),  # when the colour last changed
    Column("ruleset", String(96), nullable=False),
    Column("evaluated_at", Instant, nullable=False),
    Column("next_review_at", Instant, index=True),
    # A keyed digest of the decision fields and the person (db/states.py `code_digest`): a
    # re-evaluation finds the codes that did not change by comparing it, without opening them.
    Column("code_digest", LargeBinary(32)),
)

code_history = Table(
    "code_history",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("person_id", String(36), ForeignKey("persons.id"), nullable=False, index=True),
    Column("changed_at", Instant, nullable=False),
    Column("cause", String(16), nullable=False),  # fact, area, severe, ruleset, time
    Column("cause_ref", String(160)),
    Column("decision_sealed", LargeBinary, nullable=False),
    Column("ruleset", String(96), nullable=False),
)

rulesets = Table(
    "rulesets",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("ruleset_id", String(64), nullable=False),
    Column("version", String(32), nullable=False),
    Column("valid_from", Instant, nullable=False),
    Column("document", JSON, nullable=False),
    Column("status", String(12), nullable=False),  # draft, approved
    Column("author", String(64), nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("approved_by", String(64)),
    Column("approved_at", Instant),
    Column("activated_at", Instant),
    # colours (A5) or foreign-acceptance (issue #15): one lifecycle, each kind in force apart.
    Column("kind", String(24), nullable=False, server_default="colours"),
    UniqueConstraint("ruleset_id", "version", name="uq_rulesets_ruleset_id_version"),
)

# Numbers come from a sequence (PostgreSQL) or AUTOINCREMENT (SQLite, never reused): no row that
# every writer updates. `xact` is the writing transaction's id (PostgreSQL; 0 on SQLite and for
# entries older than revision 0006): sealing orders entries by (xact, seq), see db/audit_seals.py.
AUDIT_SEQUENCE = Sequence("audit_log_seq")
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Serial, AUDIT_SEQUENCE, primary_key=True),
    Column("xact", BigInteger, nullable=False, server_default="0"),
    Column("at", Instant, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("object", String(96)),
    Column("outcome", String(16), nullable=False),
    Column("detail", Text),
    # Entries written before revision 0006 were chained: they keep the hash they followed.
    Column("prev_hash", LargeBinary(32)),
    Column("mac", LargeBinary(32), nullable=False),
    Index("ix_audit_log_xact_seq", "xact", "seq"),
    sqlite_autoincrement=True,
)

# Signed tree heads (RFC 6962 style) over the first `tree_size` entries in (xact, seq) order; each
# is also appended to a file outside the database (Settings.audit_heads_file) for WORM storage.
audit_seals = Table(
    "audit_seals",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("watermark", BigInteger, nullable=False),  # entries with xact (seq on SQLite) below it
    Column("sealed_at", Instant, nullable=False),
    Column("frontier", JSON, nullable=False),  # the right edge, to extend without re-reading
    Column("document", JSON, nullable=False),  # the signed head (JWS, flattened JSON)
)

# --- Signed codes and checkpoints (issue #4) -------------------------------------------------

# Signing keys of this installation: public half in clear (it is published), private half sealed.
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(32), primary_key=True),
    Column("issuer", String(16), nullable=False),
    Column("purpose", String(16), nullable=False),  # code, trust_list
    Column("public_jwk", JSON, nullable=False),
    Column("private_sealed", LargeBinary, nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("retired_at", Instant),  # no longer signs; still verifies until its codes expire
    Column("revoked_at", Instant),  # verifies nothing from then on
)

# Other issuers this installation trusts (gateway and checkpoint modes): their root key, and the
# latest trust list they published that verified against it.
trusted_issuers = Table(
    "trusted_issuers",
    metadata,
    Column("issuer", String(16), primary_key=True),
    Column("root_jwk", JSON, nullable=False),
    Column("registered_by", String(64), nullable=False),
    Column("registered_at", Instant, nullable=False),
    Column("trust_list", JSON),
    Column("trust_list_received_at", Instant),
)

# The rotating pseudonyms put in codes: only this table links a code's subject to a person.
code_subjects = Table(
    "code_subjects",
    metadata,
    Column("subject", String(32), primary_key=True),
    Column("person_id", String(36), ForeignKey("persons.id"), nullable=False, index=True),
    Column("kid", String(32), nullable=False),
    Column("medium", String(8), nullable=False),  # phone, paper
    Column("version", String(16), nullable=False),  # domestic, international
    Column("issued_at", Instant, nullable=False),
    Column("expires_at", Instant, nullable=False, index=True),
)

# Applications for a code (A1): who applied for whom, through which channel.
applications = Table(
    "applications",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("person_id", String(36), ForeignKey("persons.id"), nullable=False, index=True),
    Column("applicant_id", String(36), ForeignKey("persons.id")),  # None: the person themselves
    Column("relationship", String(32)),
    Column("channel", String(16), nullable=False),
    Column("version", String(16), nullable=False),
    Column("applied_at", Instant, nullable=False),
)

# Communities and medical institutions that may issue paper certificates (S4).
institutions = Table(
    "institutions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("kind", String(16), nullable=False),  # community, medical
    Column("region", String(12), nullable=False),
    Column("registered_by", String(64), nullable=False),
    Column("registered_at", Instant, nullable=False),
)

venues = Table(
    "venues",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("category", String(32), nullable=False),
    Column("region", String(12), nullable=False),
    Column("area_risk", String(8), nullable=False),
    Column("registered_by", String(64), nullable=False),
    Column("registered_at", Instant, nullable=False),
)

scanner_devices = Table(
    "scanner_devices",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("venue_id", String(64), ForeignKey("venues.id"), nullable=False),
    Column("public_jwk", JSON, nullable=False),
    Column("registered_at", Instant, nullable=False),
    Column("flagged_at", Instant),
    Column("flag_reason", String(128)),
)

# Each scan, minimally (D2): which code pseudonym, where, when, what was decided. Purged after the
# retention window by the worker.
scans = Table(
    "scans",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("device_id", String(64), ForeignKey("scanner_devices.id"), nullable=False),
    Column("venue_id", String(64), ForeignKey("venues.id"), nullable=False),
    Column("subject", String(32)),  # None when the code was not readable
    Column("at", Instant, nullable=False),
    Column("decision", String(16), nullable=False),
    Index("ix_scans_device_id_at", "device_id", "at"),
    Index("ix_scans_at", "at"),
)

# --- People who sign in (issue #5): staff, residents, department systems; their sessions. ---

staff_accounts = Table(
    "staff_accounts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(256), nullable=False),  # argon2id, salted
    Column("totp_sealed", LargeBinary, nullable=False),  # the second factor's secret
    Column("roles", String(256), nullable=False),  # comma-separated Role values
    Column("region", String(6)),  # the county, city or province a local handler answers for
    Column("institution", String(64)),  # the institution its own staff issue certificates for
    Column("created_by", String(64), nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("disabled_at", Instant),
)

# A resident signs in with a phone number; the number is found by its blind index, read sealed.
resident_accounts = Table(
    "resident_accounts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("phone_index", LargeBinary(32), nullable=False, unique=True),
    Column("phone_sealed", LargeBinary, nullable=False),
    Column("created_at", Instant, nullable=False),
)

# Whose codes an account may show: the holder ("self") and family members bound with consent.
household_links = Table(
    "household_links",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("account_id", String(36), ForeignKey("resident_accounts.id"), nullable=False),
    Column("person_id", String(36), ForeignKey("persons.id"), nullable=False),
    Column("relationship", String(32), nullable=False),  # self, or a Relationship value
    Column("consent", String(32), nullable=False),  # how consent was given (A8)
    Column("linked_at", Instant, nullable=False),
    Column("unlinked_at", Instant),
    Index("ix_household_links_account_id", "account_id"),
    Index("ix_household_links_person_id", "person_id"),
)

# One-time sign-in codes: only a keyed hash of the code is kept, never the code itself.
one_time_codes = Table(
    "one_time_codes",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("phone_index", LargeBinary(32), nullable=False, index=True),
    Column("code_index", LargeBinary(32), nullable=False),
    Column("issued_at", Instant, nullable=False),
    Column("expires_at", Instant, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("used_at", Instant),
)

# Sessions are found by a keyed hash of their bearer token: a copy of this table signs no one in.
sessions = Table(
    "sessions",
    metadata,
    Column("token_index", LargeBinary(32), primary_key=True),
    Column("kind", String(16), nullable=False),  # resident, staff, client
    Column("subject", String(64), nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("expires_at", Instant, nullable=False, index=True),
    Column("revoked_at", Instant),
)

# Department systems (D1 registry): what categories of facts they may send, and why.
department_clients = Table(
    "department_clients",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("department", String(32), nullable=False),
    Column("secret_hash", String(256), nullable=False),
    Column("categories", String(512), nullable=False),  # comma-separated event types
    Column("purpose", String(256), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("disabled_at", Instant),
)

# Messages to residents through the development sender (the demo's SMS): sealed like any phone.
outbox_messages = Table(
    "outbox_messages",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("recipient_index", LargeBinary(32), nullable=False, index=True),
    Column("recipient_masked", String(32), nullable=False),
    Column("body_sealed", LargeBinary, nullable=False),
    Column("sent_at", Instant, nullable=False),
)

# Aggregates for the dashboards, kept as codes change: counts need no one's record opened.
code_tallies = Table(
    "code_tallies",
    metadata,
    Column("region", String(6), primary_key=True),  # county of registration; "" when unknown
    Column("colour", String(8), primary_key=True),
    Column("count", BigInteger, nullable=False),
)

code_moves = Table(
    "code_moves",
    metadata,
    Column("day", String(10), primary_key=True),  # China date, YYYY-MM-DD
    Column("region", String(6), primary_key=True),
    Column("from_colour", String(8), primary_key=True),  # "" for a first code
    Column("to_colour", String(8), primary_key=True),
    Column("count", BigInteger, nullable=False),
)

# --- Appeals through the 12345 hotline (issue #6, S6) ---------------------------------------

# One row per filing. A repeat filing of an open appeal (same person and category) gets its own
# row, merged into the primary, so that every call's callback number and words are kept.
# In clear: what routes, orders and counts the queues (region, tier, status, instants); sealed:
# everything the person said or was told.
appeals = Table(
    "appeals",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("person_id", String(36), ForeignKey("persons.id"), nullable=False, index=True),
    Column("category", String(24), nullable=False),
    Column("channel", String(8), nullable=False),  # hotline, web
    Column("status", String(12), nullable=False),  # open, answered, rejected
    Column("tier", String(8), nullable=False),  # county, city, province
    Column("region", String(6), nullable=False),  # the unit handling it now: 330106, 3301, 33
    Column("origin_region", String(6), nullable=False),  # where it was first routed (oversight)
    Column("opened_at", Instant, nullable=False),
    Column("due_at", Instant, nullable=False),
    Column("answered_at", Instant),
    Column("merged_into", Serial, ForeignKey("appeals.id")),
    Column("resident_account_id", String(36), ForeignKey("resident_accounts.id")),
    Column("language", String(2), nullable=False),  # zh, en: the answer's language
    Column("callback_phone_sealed", LargeBinary),
    Column("callback_phone_masked", String(32)),
    Column("text_sealed", LargeBinary),
    Column("snapshot_sealed", LargeBinary),  # the decision the person was shown when filing
    Column("answer_sealed", LargeBinary),
    Index("ix_appeals_region_status_due_at", "region", "status", "due_at"),
    Index("ix_appeals_status_due_at", "status", "due_at"),
)

# The appeal's timeline: every step, who took it, and (sealed) what it said.
appeal_events = Table(
    "appeal_events",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("appeal_id", Serial, ForeignKey("appeals.id"), nullable=False, index=True),
    Column("at", Instant, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("actor", String(96), nullable=False),
    Column("detail_sealed", LargeBinary),
)

# A colour override is a designation with an authority and an expiry, asked for by one person and
# approved by another; the designation facts are recorded only on approval.
appeal_overrides = Table(
    "appeal_overrides",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("appeal_id", Serial, ForeignKey("appeals.id"), nullable=False, index=True),
    Column("colour", String(8), nullable=False),
    Column("authority", String(128), nullable=False),  # a public body, not a person
    Column("expires_at", Instant, nullable=False),
    Column("requested_by", String(96), nullable=False),
    Column("requested_at", Instant, nullable=False),
    Column("approved_by", String(96)),
    Column("approved_at", Instant),
)

# Counters behind every limit (sign-in failures, code budgets, verifications, look-ups, scans), by
# keyed hash of what they count (an account name, an address, a phone): one row per counter, moved
# by a single statement whose returned count is the one checked, so parallel requests cannot slip
# past a limit. `window_start` is the first hit of the current window.
limit_counters = Table(
    "limit_counters",
    metadata,
    Column("key", LargeBinary(32), primary_key=True),
    Column("window_start", Instant, nullable=False),
    Column("count", Integer, nullable=False),
    Index("ix_limit_counters_window_start", "window_start"),
)

# The nonces of accepted scanner reports, kept while a report could still be fresh: a report is
# accepted once, and a replay is refused without counting against its device.
scan_nonces = Table(
    "scan_nonces",
    metadata,
    Column("device_id", String(64), ForeignKey("scanner_devices.id"), primary_key=True),
    Column("nonce", LargeBinary(32), primary_key=True),
    Column("at", Instant, nullable=False),
    Index("ix_scan_nonces_at", "at"),
)

# --- Identity before binding (issue #11): the population register and bindings not yet proven. ---

# The police population register, one row per identity document. The name is kept only as a keyed
# hash (it is compared, never shown); the phone on record and the birth date are sealed.
population_register = Table(
    "population_register",
    metadata,
    Column("id_index", LargeBinary(32), primary_key=True),
    Column("name_index", LargeBinary(32), nullable=False),
    Column("household_index", LargeBinary(32), nullable=False, index=True),
    Column("phone_index", LargeBinary(32)),
    Column("phone_sealed", LargeBinary),
    Column("born_sealed", LargeBinary),
    Column("source", String(16), nullable=False),
    Column("event_id", String(128), nullable=False),
    Column("content_digest", LargeBinary(32), nullable=False),  # keyed: a repeat or a conflict
    Column("occurred_at", Instant, nullable=False),
    Column("recorded_at", Instant, nullable=False),
)

# A binding asked for but not yet proven: it shows nothing of the person until it is completed by a
# code sent to the phone on record, or by staff who saw the identity document (S3, D2).
pending_links = Table(
    "pending_links",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("reference", String(16), nullable=False, unique=True),
    Column("account_id", String(36), ForeignKey("resident_accounts.id"), nullable=False),
    Column("id_index", LargeBinary(32), nullable=False),  # the document claimed (persons' index)
    Column("relationship", String(32), nullable=False),  # self, or a FamilyMember value
    Column("request_sealed", LargeBinary, nullable=False),  # the application as asked for
    Column("recipient_index", LargeBinary(32)),  # the phone a code went to (throttle)
    Column("code_index", LargeBinary(32)),  # keyed hash of that code; none sent: no code matches
    Column("code_expires_at", Instant),
    Column("attempts", Integer, nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("expires_at", Instant, nullable=False),
    Column("completed_at", Instant),
    Column("completed_how", String(32)),
    Index("ix_pending_links_account_id", "account_id"),
    Index("ix_pending_links_recipient_index_created_at", "recipient_index", "created_at"),
)

# --- Population jobs (issue #12): re-evaluating many persons in the background, by partitions. ---

# One re-evaluation of many persons: everyone (a ruleset came into force) or the persons queued for
# it (an area changed, an import's touched persons). Its work is split into partitions.
evaluation_jobs = Table(
    "evaluation_jobs",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # ruleset, area, severe, import, queue
    Column("scope", String(16), nullable=False),  # everyone, or queue (the rows queued for it)
    Column("label", String(160), nullable=False),  # what caused it: a ruleset label, an area ref
    Column("created_at", Instant, nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("partitions", Integer, nullable=False),
    Column("persons", BigInteger, nullable=False),  # how many it has to re-evaluate, at its start
    Column("finished_at", Instant),
)

# A partition is a bucket range of one job. A worker claims it with a lease (a conditional UPDATE),
# renews the lease with every page and marks it done in the transaction of its last page. The
# cursor (after_bucket, after_person) is the last person of an "everyone" job done so far.
evaluation_partitions = Table(
    "evaluation_partitions",
    metadata,
    Column("job_id", Serial, ForeignKey("evaluation_jobs.id"), nullable=False, autoincrement=False),
    Column("partition", Integer, nullable=False),
    Column("bucket_from", SmallInteger, nullable=False),  # inclusive
    Column("bucket_to", SmallInteger, nullable=False),  # inclusive
    Column("status", String(16), nullable=False),  # pending, running, done
    Column("lease_until", Instant),
    Column("worker", String(128)),
    Column("evaluated", BigInteger, nullable=False),
    Column("changed", BigInteger, nullable=False),
    Column("after_bucket", SmallInteger),
    Column("after_person", String(36)),
    Column("started_at", Instant),
    Column("finished_at", Instant),
    PrimaryKeyConstraint("job_id", "partition", name="pk_evaluation_partitions"),
    # What a dispatcher looks for: partitions not done (a handful of rows among the finished ones).
    Index("ix_evaluation_partitions_status", "status"),
)

# Persons a job must re-evaluate when it is not everyone. A row is deleted in the transaction that
# re-evaluates its person, so a crash loses nothing. job_id is NULL until a job takes the row (an
# import queues its batches' persons and starts one job at the end). No foreign key on person_id:
# the person is inserted in the same transaction, and a check per queued row buys nothing here.
evaluation_queue = Table(
    "evaluation_queue",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("person_id", String(36), nullable=False),
    Column("job_id", Serial, ForeignKey("evaluation_jobs.id")),
    Column("bucket", SmallInteger, nullable=False),
    Column("cause", String(16), nullable=False),  # fact, area, severe (code_history.cause)
    Column("cause_ref", String(160)),
    Column("enqueued_at", Instant, nullable=False),
    # A partition's page: its job's rows in (bucket, person) order, within a bucket range.
    Index("ix_evaluation_queue_job_id_bucket_person_id", "job_id", "bucket", "person_id"),
    # The round's "has anything been queued lately without a job?": the last entry of an index
    # instead of a scan of every row an import has queued so far.
    Index("ix_evaluation_queue_job_id_enqueued_at", "job_id", "enqueued_at"),
)

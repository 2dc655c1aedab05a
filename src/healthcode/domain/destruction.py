"""End of the epidemic (D1, 疫情结束后按规定销毁或妥善处置): what is destroyed, what is kept, why.

Every table of the schema is decided here, one by one; a unit test fails when a new table is not.
Deleted: every table that holds a resident's data (sealed or in clear), a keyed index of it, or a
link to a person, and the exact tallies (a county's count of 1 can point at someone). Kept: what
names no resident and must stay accountable or public after the epidemic. The kept tables still
hold sealed values (staff second factors, private signing keys); the keyring's destruction makes
them noise, so the installation cannot run again on this data directory.
"""

from __future__ import annotations

from typing import Final

# (table, what it holds about residents), children before parents so foreign keys accept each step.
DELETED: Final[tuple[tuple[str, str], ...]] = (
    ("evaluation_queue", "persons waiting to be re-evaluated, and what touched them"),
    ("evaluation_partitions", "population jobs' partitions: their cursors name persons"),
    ("appeal_events", "the timeline of a person's appeal, what was said sealed"),
    ("appeal_overrides", "colour overrides granted on a person's appeal"),
    ("appeals", "appeals: person, callback phone, words, answers"),
    ("household_links", "who may show whose code: family ties"),
    ("pending_links", "bindings waiting for proof: the request sealed, codes as keyed hashes"),
    ("population_register", "the police register: documents, names, households keyed; phones"),
    ("resident_accounts", "residents' phone numbers (sealed and keyed index)"),
    ("one_time_codes", "sign-in codes by keyed phone index"),
    ("sessions", "bearer sessions of residents, staff and clients: no use once closed"),
    (
        "limit_counters",
        "keyed counters of sign-in failures, texts and look-ups: no use once closed",
    ),
    ("outbox_messages", "texts sent to residents (sealed, keyed recipient)"),
    ("scan_nonces", "nonces of recent scanner reports, by device"),
    ("scans", "where and when a code pseudonym was scanned: movements"),
    ("code_subjects", "the link from a code pseudonym to a person"),
    ("applications", "who applied for whom, through which channel"),
    ("code_history", "how each person's colour moved, and why"),
    ("code_states", "each person's colour now"),
    ("trip_regions", "keyed indexes of the regions each person stayed in"),
    ("fact_snapshots", "the facts of each shard in columns, sealed (derived from facts)"),
    ("facts", "health data and trips, sealed"),
    ("persons", "name, ID number, phone, nationality (sealed), masked forms, county"),
    ("code_tallies", "exact counts by county and colour: kept in the report, small cells hidden"),
    ("code_moves", "exact moves by day and county: kept in the report, small cells hidden"),
)

KEPT: Final[dict[str, str]] = {
    "audit_log": "accountability (D1): actors, purposes, outcomes; objects are random ids or keyed "
    "pseudonyms that nothing links to anyone once the persons and the index key are gone",
    "audit_seals": "the log's signed heads, which the signed report names before and after",
    "staff_accounts": "staff, not residents: the audit log names them; their sealed second "
    "factors are shredded with the keyring",
    "department_clients": "the D1 registry: which systems were approved, by whom, for what",
    "rulesets": "public rules (A5) with their authors and approvers",
    "risk_areas": "public risk-area ratings (A6)",
    "severe_designations": "public severe-area designations (A7)",
    "institutions": "public registry of certifying institutions (S4)",
    "venues": "public registry of checking places",
    "scanner_devices": "registered devices and their public keys",
    "signing_keys": "public halves verify this report and past trust lists; private halves are "
    "sealed and shredded with the keyring",
    "trusted_issuers": "other issuers' public root keys",
    "evaluation_jobs": "which population re-evaluations ran, why (a ruleset, an area) and how "
    "many codes they moved: counts, no person",
}

DELETION_ORDER: Final[tuple[str, ...]] = tuple(table for table, _ in DELETED)
CONFIRMATION: Final = "destroy all personal data"

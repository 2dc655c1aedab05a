"""The initial schema: persons, facts, areas, code states and history, rulesets, audit chain.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 08:33:20.416476
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import healthcode.db.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_log",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object", sa.String(length=96), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("id_type", sa.String(length=32), nullable=False),
        sa.Column("id_index", sa.LargeBinary(length=32), nullable=False),
        sa.Column("id_number_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("id_number_masked", sa.String(length=32), nullable=False),
        sa.Column("name_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("name_masked", sa.String(length=64), nullable=True),
        sa.Column("phone_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("address_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("nationality_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("home_region", sa.String(length=6), nullable=True),
        sa.Column("created_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
        sa.UniqueConstraint("id_index", name=op.f("uq_persons_id_index")),
    )
    op.create_table(
        "risk_areas",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("effective_from", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("effective_to", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_areas")),
        sa.UniqueConstraint("region", "effective_from", name="uq_risk_areas_region_effective_from"),
    )
    op.create_table(
        "rulesets",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("ruleset_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("valid_from", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.Column("activated_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rulesets")),
        sa.UniqueConstraint("ruleset_id", "version", name="uq_rulesets_ruleset_id_version"),
    )
    op.create_table(
        "severe_designations",
        sa.Column("designation_id", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=True),
        sa.Column("venue_id", sa.String(length=64), nullable=True),
        sa.Column("lookback_days", sa.Integer(), nullable=False),
        sa.Column("effective_from", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("effective_to", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=128), nullable=False),
        sa.Column("assessment_ref", sa.String(length=128), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("designation_id", name=op.f("pk_severe_designations")),
    )
    op.create_table(
        "code_history",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("changed_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.Column("cause_ref", sa.String(length=160), nullable=True),
        sa.Column("decision_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("ruleset", sa.String(length=96), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_code_history_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_history")),
    )
    with op.batch_alter_table("code_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_code_history_person_id"), ["person_id"], unique=False)

    op.create_table(
        "code_states",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("decision_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("since", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("ruleset", sa.String(length=96), nullable=False),
        sa.Column("evaluated_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("next_review_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_code_states_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_code_states")),
    )
    with op.batch_alter_table("code_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_code_states_next_review_at"), ["next_review_at"], unique=False
        )

    op.create_table(
        "facts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("content_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("occurred_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("payload_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("recorded_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_facts_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facts")),
        sa.UniqueConstraint("source", "event_id", name="uq_facts_source_event_id"),
    )
    with op.batch_alter_table("facts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_facts_person_id"), ["person_id"], unique=False)

    op.create_table(
        "trip_regions",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("region_index", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_trip_regions_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("person_id", "region_index", name=op.f("pk_trip_regions")),
    )
    with op.batch_alter_table("trip_regions", schema=None) as batch_op:
        batch_op.create_index("ix_trip_regions_region_index", ["region_index"], unique=False)
    # The audit chain starts from a head that names no entry, so the first appenders can lock it.
    op.bulk_insert(
        sa.table(
            "audit_head",
            sa.column("id", sa.Integer()),
            sa.column("seq", sa.BigInteger()),
            sa.column("hash", sa.LargeBinary()),
        ),
        [{"id": 1, "seq": 0, "hash": bytes(32)}],
    )


def downgrade() -> None:
    with op.batch_alter_table("trip_regions", schema=None) as batch_op:
        batch_op.drop_index("ix_trip_regions_region_index")

    op.drop_table("trip_regions")
    with op.batch_alter_table("facts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facts_person_id"))

    op.drop_table("facts")
    with op.batch_alter_table("code_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_code_states_next_review_at"))

    op.drop_table("code_states")
    with op.batch_alter_table("code_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_code_history_person_id"))

    op.drop_table("code_history")
    op.drop_table("severe_designations")
    op.drop_table("rulesets")
    op.drop_table("risk_areas")
    op.drop_table("persons")
    op.drop_table("audit_log")
    op.drop_table("audit_head")

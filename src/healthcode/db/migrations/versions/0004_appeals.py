"""Appeals (issue #6, S6): the 12345 channel's appeals, their timeline and colour overrides.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 11:20:08.985483
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import healthcode.db.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appeals",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("tier", sa.String(length=8), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("origin_region", sa.String(length=6), nullable=False),
        sa.Column("opened_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("due_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("answered_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.Column(
            "merged_into", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("resident_account_id", sa.String(length=36), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("callback_phone_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("callback_phone_masked", sa.String(length=32), nullable=True),
        sa.Column("text_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("snapshot_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("answer_sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merged_into"], ["appeals.id"], name=op.f("fk_appeals_merged_into_appeals")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_appeals_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["resident_account_id"],
            ["resident_accounts.id"],
            name=op.f("fk_appeals_resident_account_id_resident_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
    )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeals_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            "ix_appeals_region_status_due_at", ["region", "status", "due_at"], unique=False
        )
        batch_op.create_index("ix_appeals_status_due_at", ["status", "due_at"], unique=False)

    op.create_table(
        "appeal_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "appeal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=96), nullable=False),
        sa.Column("detail_sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appeal_id"], ["appeals.id"], name=op.f("fk_appeal_events_appeal_id_appeals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_events")),
    )
    with op.batch_alter_table("appeal_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeal_events_appeal_id"), ["appeal_id"], unique=False)

    op.create_table(
        "appeal_overrides",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "appeal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.Column("authority", sa.String(length=128), nullable=False),
        sa.Column("expires_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=96), nullable=False),
        sa.Column("requested_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=96), nullable=True),
        sa.Column("approved_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["appeal_id"], ["appeals.id"], name=op.f("fk_appeal_overrides_appeal_id_appeals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_overrides")),
    )
    with op.batch_alter_table("appeal_overrides", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appeal_overrides_appeal_id"), ["appeal_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("appeal_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeal_overrides_appeal_id"))

    op.drop_table("appeal_overrides")
    with op.batch_alter_table("appeal_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeal_events_appeal_id"))

    op.drop_table("appeal_events")
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index("ix_appeals_status_due_at")
        batch_op.drop_index("ix_appeals_region_status_due_at")
        batch_op.drop_index(batch_op.f("ix_appeals_person_id"))

    op.drop_table("appeals")

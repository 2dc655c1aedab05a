"""The population register and bindings not yet proven (issue #11: identity before any code).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import healthcode.db.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "population_register",
        sa.Column("id_index", sa.LargeBinary(length=32), nullable=False),
        sa.Column("name_index", sa.LargeBinary(length=32), nullable=False),
        sa.Column("household_index", sa.LargeBinary(length=32), nullable=False),
        sa.Column("phone_index", sa.LargeBinary(length=32), nullable=True),
        sa.Column("phone_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("born_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("content_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("occurred_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("recorded_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_index", name=op.f("pk_population_register")),
    )
    with op.batch_alter_table("population_register", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_population_register_household_index"), ["household_index"], unique=False
        )
    op.create_table(
        "pending_links",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("id_index", sa.LargeBinary(length=32), nullable=False),
        sa.Column("relationship", sa.String(length=32), nullable=False),
        sa.Column("request_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("recipient_index", sa.LargeBinary(length=32), nullable=True),
        sa.Column("code_index", sa.LargeBinary(length=32), nullable=True),
        sa.Column("code_expires_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("expires_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("completed_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.Column("completed_how", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["resident_accounts.id"],
            name=op.f("fk_pending_links_account_id_resident_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_links")),
        sa.UniqueConstraint("reference", name=op.f("uq_pending_links_reference")),
    )
    with op.batch_alter_table("pending_links", schema=None) as batch_op:
        batch_op.create_index("ix_pending_links_account_id", ["account_id"], unique=False)
        batch_op.create_index(
            "ix_pending_links_recipient_index_created_at",
            ["recipient_index", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("pending_links", schema=None) as batch_op:
        batch_op.drop_index("ix_pending_links_recipient_index_created_at")
        batch_op.drop_index("ix_pending_links_account_id")
    op.drop_table("pending_links")
    with op.batch_alter_table("population_register", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_population_register_household_index"))
    op.drop_table("population_register")

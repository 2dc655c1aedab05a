"""Columnar fact snapshots per shard, and a keyed digest of each stored code (issue #12, ADR 0013).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 15:50:00.000000

Both are derived: `fact_snapshots` starts empty (the next population job reading a shard builds
its snapshot), and `code_states.code_digest` starts null (a re-evaluation that finds no digest
opens the stored code and compares it, as before, and then writes the digest).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import healthcode.db.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fact_snapshots",
        sa.Column("shard", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("through_fact_id", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("payload_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("built_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("shard", name=op.f("pk_fact_snapshots")),
    )
    with op.batch_alter_table("code_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code_digest", sa.LargeBinary(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("code_states", schema=None) as batch_op:
        batch_op.drop_column("code_digest")
    op.drop_table("fact_snapshots")

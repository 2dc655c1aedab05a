"""Failed staff and client sign-ins, by keyed hash of the account name, to slow guessing.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 12:41:10.824276
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import healthcode.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("subject_index", sa.LargeBinary(length=32), nullable=False),
        sa.Column("at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sign_in_failures_subject_index_at", ["subject_index", "at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_sign_in_failures_subject_index_at")

    op.drop_table("sign_in_failures")

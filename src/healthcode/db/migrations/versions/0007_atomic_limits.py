"""Counters behind every limit, moved by one statement each, and the nonces of scanner reports;
the per-row sign-in failures they replace go.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import healthcode.db.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "limit_counters",
        sa.Column("key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("window_start", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_limit_counters")),
    )
    with op.batch_alter_table("limit_counters", schema=None) as batch_op:
        batch_op.create_index("ix_limit_counters_window_start", ["window_start"], unique=False)
    op.create_table(
        "scan_nonces",
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.LargeBinary(length=32), nullable=False),
        sa.Column("at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["scanner_devices.id"],
            name=op.f("fk_scan_nonces_device_id_scanner_devices"),
        ),
        sa.PrimaryKeyConstraint("device_id", "nonce", name=op.f("pk_scan_nonces")),
    )
    with op.batch_alter_table("scan_nonces", schema=None) as batch_op:
        batch_op.create_index("ix_scan_nonces_at", ["at"], unique=False)
    # Failures counted row by row were read, then written: parallel guesses all read the same
    # count. They are only minutes old by design, so nothing is carried over.
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_sign_in_failures_subject_index_at")
    op.drop_table("sign_in_failures")


def downgrade() -> None:
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
    with op.batch_alter_table("scan_nonces", schema=None) as batch_op:
        batch_op.drop_index("ix_scan_nonces_at")
    op.drop_table("scan_nonces")
    with op.batch_alter_table("limit_counters", schema=None) as batch_op:
        batch_op.drop_index("ix_limit_counters_window_start")
    op.drop_table("limit_counters")

"""The audit log without a global lock: numbers from a sequence, one MAC per entry, signed heads.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:50:00.000000

`audit_head` goes: every writer used to lock and update it. Entries written before keep their
chained hash (now `mac`) and `prev_hash`, and verify still checks that old chain; run
`healthcode audit seal` right after the upgrade so they are covered by a signed head at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import healthcode.db.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    # SQLite: the table is rebuilt with AUTOINCREMENT, so a number is never handed out twice,
    # even after the last entries were deleted. PostgreSQL: a sequence, below.
    with op.batch_alter_table(
        "audit_log",
        recreate="auto" if postgres else "always",
        table_kwargs={} if postgres else {"sqlite_autoincrement": True},
    ) as batch_op:
        batch_op.add_column(sa.Column("xact", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.alter_column("hash", new_column_name="mac")
        batch_op.alter_column("prev_hash", nullable=True)
        if not postgres:
            batch_op.alter_column("seq", existing_type=sa.Integer(), autoincrement=True)
        batch_op.create_index("ix_audit_log_xact_seq", ["xact", "seq"], unique=False)
    if postgres:
        op.execute(sa.text("CREATE SEQUENCE audit_log_seq OWNED BY audit_log.seq"))
        op.execute(
            sa.text(
                "SELECT setval('audit_log_seq',"
                " (SELECT coalesce(max(seq), 0) + 1 FROM audit_log), false)"
            )
        )
    op.create_table(
        "audit_seals",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("watermark", sa.BigInteger(), nullable=False),
        sa.Column("sealed_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("frontier", sa.JSON(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_audit_seals")),
    )
    op.drop_table("audit_head")


def downgrade() -> None:
    raise NotImplementedError("the audit log is not downgraded: entries since 0006 are unchained")

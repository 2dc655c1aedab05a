"""Rulesets of two kinds (issue #15): the colour rules and the acceptance rules of foreign
certificates share one lifecycle (draft, second-person approval, valid-from) and one table.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 16:00:00.000000

Every version stored before is a colour ruleset: the column is added NOT NULL with that default,
which PostgreSQL adds without rewriting the table and SQLite without copying it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "rulesets",
        sa.Column("kind", sa.String(24), nullable=False, server_default=sa.text("'colours'")),
    )


def downgrade() -> None:
    with op.batch_alter_table("rulesets") as batch:
        batch.drop_column("kind")

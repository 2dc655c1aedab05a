"""Staff accounts of an institution (issue #14): the community or medical institution its own
staff issue paper certificates for from the console (S4).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 16:05:00.000000

A nullable column: added without rewriting the table on PostgreSQL, and every existing account
belongs to no institution.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("institution", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.drop_column("institution")

"""Accounts, sessions and dashboard tallies: staff, residents and their household links,
one-time codes, sessions, department clients, the development outbox, code tallies and moves.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 10:54:45.146546
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import healthcode.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "code_moves",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("from_colour", sa.String(length=8), nullable=False),
        sa.Column("to_colour", sa.String(length=8), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "region", "from_colour", "to_colour", name=op.f("pk_code_moves")
        ),
    )
    op.create_table(
        "code_tallies",
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "colour", name=op.f("pk_code_tallies")),
    )
    op.create_table(
        "department_clients",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=256), nullable=False),
        sa.Column("categories", sa.String(length=512), nullable=False),
        sa.Column("purpose", sa.String(length=256), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("disabled_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department_clients")),
    )
    op.create_table(
        "one_time_codes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("phone_index", sa.LargeBinary(length=32), nullable=False),
        sa.Column("code_index", sa.LargeBinary(length=32), nullable=False),
        sa.Column("issued_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("expires_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_codes")),
    )
    with op.batch_alter_table("one_time_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_one_time_codes_phone_index"), ["phone_index"], unique=False
        )

    op.create_table(
        "outbox_messages",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("recipient_index", sa.LargeBinary(length=32), nullable=False),
        sa.Column("recipient_masked", sa.String(length=32), nullable=False),
        sa.Column("body_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("sent_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_recipient_index"), ["recipient_index"], unique=False
        )

    op.create_table(
        "resident_accounts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("phone_index", sa.LargeBinary(length=32), nullable=False),
        sa.Column("phone_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_accounts")),
        sa.UniqueConstraint("phone_index", name=op.f("uq_resident_accounts_phone_index")),
    )
    op.create_table(
        "sessions",
        sa.Column("token_index", sa.LargeBinary(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("created_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("expires_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("revoked_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_index", name=op.f("pk_sessions")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("totp_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("roles", sa.String(length=256), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("disabled_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_accounts")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_accounts_username")),
    )
    op.create_table(
        "household_links",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("relationship", sa.String(length=32), nullable=False),
        sa.Column("consent", sa.String(length=32), nullable=False),
        sa.Column("linked_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("unlinked_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["resident_accounts.id"],
            name=op.f("fk_household_links_account_id_resident_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_household_links_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_links")),
    )
    with op.batch_alter_table("household_links", schema=None) as batch_op:
        batch_op.create_index("ix_household_links_account_id", ["account_id"], unique=False)
        batch_op.create_index("ix_household_links_person_id", ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("household_links", schema=None) as batch_op:
        batch_op.drop_index("ix_household_links_person_id")
        batch_op.drop_index("ix_household_links_account_id")

    op.drop_table("household_links")
    op.drop_table("staff_accounts")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_expires_at"))

    op.drop_table("sessions")
    op.drop_table("resident_accounts")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_recipient_index"))

    op.drop_table("outbox_messages")
    with op.batch_alter_table("one_time_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_one_time_codes_phone_index"))

    op.drop_table("one_time_codes")
    op.drop_table("department_clients")
    op.drop_table("code_tallies")
    op.drop_table("code_moves")

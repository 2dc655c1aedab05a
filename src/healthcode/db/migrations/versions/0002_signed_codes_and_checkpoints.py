"""Signed codes and checkpoints: signing keys, trusted issuers, code subjects, applications,
institutions, venues, scanner devices and scans.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 08:47:08.726623
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import healthcode.db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "institutions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("registered_by", sa.String(length=64), nullable=False),
        sa.Column("registered_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institutions")),
    )
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("issuer", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("private_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("retired_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.Column("revoked_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
    )
    op.create_table(
        "trusted_issuers",
        sa.Column("issuer", sa.String(length=16), nullable=False),
        sa.Column("root_jwk", sa.JSON(), nullable=False),
        sa.Column("registered_by", sa.String(length=64), nullable=False),
        sa.Column("registered_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("trust_list", sa.JSON(), nullable=True),
        sa.Column(
            "trust_list_received_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("issuer", name=op.f("pk_trusted_issuers")),
    )
    op.create_table(
        "venues",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("area_risk", sa.String(length=8), nullable=False),
        sa.Column("registered_by", sa.String(length=64), nullable=False),
        sa.Column("registered_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
    )
    op.create_table(
        "applications",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("applicant_id", sa.String(length=36), nullable=True),
        sa.Column("relationship", sa.String(length=32), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("applied_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_id"], ["persons.id"], name=op.f("fk_applications_applicant_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_applications_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applications_person_id"), ["person_id"], unique=False)

    op.create_table(
        "code_subjects",
        sa.Column("subject", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("medium", sa.String(length=8), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("issued_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("expires_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_code_subjects_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_code_subjects")),
    )
    with op.batch_alter_table("code_subjects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_code_subjects_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_code_subjects_person_id"), ["person_id"], unique=False)

    op.create_table(
        "scanner_devices",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("venue_id", sa.String(length=64), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("registered_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("flagged_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.Column("flag_reason", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_scanner_devices_venue_id_venues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scanner_devices")),
    )
    op.create_table(
        "scans",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("venue_id", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=32), nullable=True),
        sa.Column("at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["scanner_devices.id"], name=op.f("fk_scans_device_id_scanner_devices")
        ),
        sa.ForeignKeyConstraint(["venue_id"], ["venues.id"], name=op.f("fk_scans_venue_id_venues")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scans")),
    )
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.create_index("ix_scans_at", ["at"], unique=False)
        batch_op.create_index("ix_scans_device_id_at", ["device_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_index("ix_scans_device_id_at")
        batch_op.drop_index("ix_scans_at")

    op.drop_table("scans")
    op.drop_table("scanner_devices")
    with op.batch_alter_table("code_subjects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_code_subjects_person_id"))
        batch_op.drop_index(batch_op.f("ix_code_subjects_expires_at"))

    op.drop_table("code_subjects")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_person_id"))

    op.drop_table("applications")
    op.drop_table("venues")
    op.drop_table("trusted_issuers")
    op.drop_table("signing_keys")
    op.drop_table("institutions")

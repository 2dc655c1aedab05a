"""Population jobs (issue #12): persons' buckets, jobs, their partitions and the queue.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 13:10:00.000000

`persons.bucket` is backfilled here. On PostgreSQL one set-based UPDATE computes it in SQL
(db/buckets.py PG_BUCKET_SQL, the same hash as Python's), and the index is built after the
backfill, so a large table is written once and indexed once instead of row by row (no trigger:
the application sets the bucket at insert). SQLite has no
MD5 in SQL: the embedded default's (small) table is updated from Python, a page at a time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import healthcode.db.types
from healthcode.db.buckets import PG_BUCKET_SQL, bucket_of

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_PAGE = 10_000
Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Added NOT NULL with a default: PostgreSQL then adds it without rewriting the table, and
    # SQLite without copying it (a copy of persons would trip the foreign keys that point at it).
    op.add_column(
        "persons",
        sa.Column("bucket", sa.SmallInteger(), nullable=False, server_default=sa.text("0")),
    )
    _backfill_buckets()
    if op.get_bind().dialect.name == "postgresql":
        # Every insert sets the bucket (db/people.py); a default would hide one that did not.
        op.alter_column("persons", "bucket", server_default=None)
    op.create_index("ix_persons_bucket_id", "persons", ["bucket", "id"], unique=False)
    op.create_table(
        "evaluation_jobs",
        sa.Column("id", Serial, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=160), nullable=False),
        sa.Column("created_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("partitions", sa.Integer(), nullable=False),
        sa.Column("persons", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_jobs")),
    )
    op.create_table(
        "evaluation_partitions",
        sa.Column("job_id", Serial, autoincrement=False, nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("bucket_from", sa.SmallInteger(), nullable=False),
        sa.Column("bucket_to", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lease_until", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=128), nullable=True),
        sa.Column("evaluated", sa.BigInteger(), nullable=False),
        sa.Column("changed", sa.BigInteger(), nullable=False),
        sa.Column("after_bucket", sa.SmallInteger(), nullable=True),
        sa.Column("after_person", sa.String(length=36), nullable=True),
        sa.Column("started_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.Column("finished_at", healthcode.db.types.UtcInstant(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["evaluation_jobs.id"],
            name=op.f("fk_evaluation_partitions_job_id_evaluation_jobs"),
        ),
        sa.PrimaryKeyConstraint("job_id", "partition", name="pk_evaluation_partitions"),
    )
    with op.batch_alter_table("evaluation_partitions", schema=None) as batch_op:
        batch_op.create_index("ix_evaluation_partitions_status", ["status"], unique=False)
    op.create_table(
        "evaluation_queue",
        sa.Column("id", Serial, autoincrement=True, nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("job_id", Serial, nullable=True),
        sa.Column("bucket", sa.SmallInteger(), nullable=False),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.Column("cause_ref", sa.String(length=160), nullable=True),
        sa.Column("enqueued_at", healthcode.db.types.UtcInstant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["evaluation_jobs.id"],
            name=op.f("fk_evaluation_queue_job_id_evaluation_jobs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_queue")),
    )
    with op.batch_alter_table("evaluation_queue", schema=None) as batch_op:
        batch_op.create_index(
            "ix_evaluation_queue_job_id_bucket_person_id",
            ["job_id", "bucket", "person_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_evaluation_queue_job_id_enqueued_at", ["job_id", "enqueued_at"], unique=False
        )


def _backfill_buckets() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(f"UPDATE persons SET bucket = {PG_BUCKET_SQL}"))  # noqa: S608
        return
    after = ""
    while True:
        ids = list(
            connection.execute(
                sa.text("SELECT id FROM persons WHERE id > :after ORDER BY id LIMIT :page"),
                {"after": after, "page": _PAGE},
            ).scalars()
        )
        if not ids:
            return
        connection.execute(
            sa.text("UPDATE persons SET bucket = :bucket WHERE id = :id"),
            [{"id": person_id, "bucket": bucket_of(person_id)} for person_id in ids],
        )
        after = ids[-1]


def downgrade() -> None:
    with op.batch_alter_table("evaluation_queue", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_queue_job_id_enqueued_at")
        batch_op.drop_index("ix_evaluation_queue_job_id_bucket_person_id")
    op.drop_table("evaluation_queue")
    with op.batch_alter_table("evaluation_partitions", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_partitions_status")
    op.drop_table("evaluation_partitions")
    op.drop_table("evaluation_jobs")
    op.drop_index("ix_persons_bucket_id", table_name="persons")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_column("bucket")

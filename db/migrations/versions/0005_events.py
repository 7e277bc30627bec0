"""events and sign-ups

Revision ID: 0005_events
Revises: 0001_baseline
Create Date: 2026-11-28 07:02:59.695511
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import db.base

revision: str = "0005_events"
down_revision: str | Sequence[str] | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("starts_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("place_kind", sa.String(length=16), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("district", sa.String(length=32), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("reg_deadline", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "audience",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("poster_file_id", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("checkin_code", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_status_starts", ["status", "starts_at"], unique=False)

    op.create_table(
        "event_signups",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("offered_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("offer_expires_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("will_come_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_in_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_in_by", sa.BigInteger(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("feedback_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_signups_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_event_signups_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_signups")),
        sa.UniqueConstraint("event_id", "user_id", name=op.f("uq_event_signups_event_id_user_id")),
    )
    with op.batch_alter_table("event_signups", schema=None) as batch_op:
        batch_op.create_index("ix_event_signups_event_status", ["event_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_signups_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("event_signups")
    op.drop_table("events")

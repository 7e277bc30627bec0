"""events and sign-ups

Revision ID: 0005_events
Revises: 0001_baseline
Create Date: 2026-11-28 07:02:59.695511
"""

from collections.abc import Sequence

import sqlalchemy as sa

from db.migrations.helpers import create_table, drop_tables, id_column, json_column, moment, reference

revision: str = "0005_events"
down_revision: str | Sequence[str] | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_table(
        "events",
        id_column(),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        moment("starts_at"),
        moment("ends_at"),
        sa.Column("place_kind", sa.String(length=16), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("district", sa.String(length=32), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        moment("reg_deadline"),
        json_column("audience"),
        sa.Column("poster_file_id", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("checkin_code", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        moment("created_at"),
        moment("published_at", nullable=True),
        moment("cancelled_at", nullable=True),
        indexes={"ix_events_status_starts": ["status", "starts_at"]},
    )
    create_table(
        "event_signups",
        id_column(),
        reference("event_id", "events", ondelete="CASCADE"),
        reference("user_id", "users", ondelete="CASCADE"),
        sa.Column("status", sa.String(length=16), nullable=False),
        moment("created_at"),
        moment("confirmed_at", nullable=True),
        moment("cancelled_at", nullable=True),
        moment("offered_at", nullable=True),
        moment("offer_expires_at", nullable=True),
        moment("will_come_at", nullable=True),
        moment("checked_in_at", nullable=True),
        sa.Column("checked_in_by", sa.BigInteger(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        moment("feedback_at", nullable=True),
        unique={"uq_event_signups_event_id_user_id": ["event_id", "user_id"]},
        indexed=["user_id"],
        indexes={"ix_event_signups_event_status": ["event_id", "status"]},
    )


def downgrade() -> None:
    drop_tables("event_signups", "events")

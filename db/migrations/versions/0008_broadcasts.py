"""broadcasts and their deliveries

Revision ID: 0008_broadcasts
Revises: 0001_baseline
Create Date: 2026-11-28 07:09:38.836726
"""
from collections.abc import Sequence

import sqlalchemy as sa

from db.migrations.helpers import create_table, drop_tables, id_column, json_column, moment, reference

revision: str = '0008_broadcasts'
down_revision: str | Sequence[str] | None = '0001_baseline'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_table(
        "broadcasts",
        id_column(),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("source_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("source_message_id", sa.BigInteger(), nullable=False),
        sa.Column("content_kind", sa.String(length=16), nullable=False),
        sa.Column("excerpt", sa.String(length=120), nullable=False),
        json_column("audience"),
        moment("start_at"),
        sa.Column("quiet", sa.Boolean(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("unsubscribed", sa.Integer(), nullable=False),
        sa.Column("progress_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_message_id", sa.BigInteger(), nullable=True),
        sa.Column("lease_owner", sa.String(length=40), nullable=True),
        moment("lease_until", nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        moment("created_at"),
        moment("started_at", nullable=True),
        moment("finished_at", nullable=True),
        indexes={"ix_broadcasts_status_start": ["status", "start_at"]},
    )
    create_table(
        "broadcast_deliveries",
        id_column(),
        reference("broadcast_id", "broadcasts", ondelete="CASCADE"),
        reference("user_id", "users", ondelete="SET NULL", nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        moment("next_at", nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        moment("sent_at", nullable=True),
        unique={"uq_broadcast_deliveries_broadcast_id_user_id": ["broadcast_id", "user_id"]},
        indexed=["user_id"],
        indexes={"ix_broadcast_deliveries_queue": ["broadcast_id", "status", "id"]},
    )


def downgrade() -> None:
    drop_tables("broadcast_deliveries", "broadcasts")

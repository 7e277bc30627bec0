"""consultations: topics, requests, conversation, message links

Revision ID: 0004_consultations
Revises: 0001_baseline
Create Date: 2026-11-28 07:08:19.123772
"""
from collections.abc import Sequence

import sqlalchemy as sa

from db.migrations.helpers import create_table, drop_tables, id_column, moment, reference

revision: str = '0004_consultations'
down_revision: str | Sequence[str] | None = '0001_baseline'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_table(
        "consultation_topics",
        id_column(),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("title_en", sa.String(length=100), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        unique={"uq_consultation_topics_code": ["code"]},
    )
    create_table(
        "consultations",
        id_column(),
        reference("user_id", "users", ondelete="CASCADE"),
        reference("topic_id", "consultation_topics"),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("org_key", sa.String(length=200), nullable=True),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("preferred_time", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("assignee_name", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        moment("meeting_at", nullable=True),
        sa.Column("meeting_place", sa.String(length=300), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        sa.Column("card_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("card_message_id", sa.BigInteger(), nullable=True),
        sa.Column("card_thread_id", sa.BigInteger(), nullable=True),
        moment("created_at"),
        moment("taken_at", nullable=True),
        moment("closed_at", nullable=True),
        moment("escalated_at", nullable=True),
        indexed=["org_key", "user_id"],
        indexes={"ix_consultations_status_created": ["status", "created_at"]},
    )
    create_table(
        "consultation_links",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        reference("consultation_id", "consultations", ondelete="CASCADE", nullable=True),
        sa.Column("purpose", sa.String(length=48), nullable=False),
        moment("created_at"),
        primary_key=["chat_id", "message_id"],
        indexed=["consultation_id"],
    )
    create_table(
        "consultation_messages",
        id_column(),
        reference("consultation_id", "consultations", ondelete="CASCADE"),
        sa.Column("author", sa.String(length=8), nullable=False),
        sa.Column("author_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("author_name", sa.String(length=100), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("file_id", sa.String(length=256), nullable=True),
        sa.Column("file_name", sa.String(length=256), nullable=True),
        moment("created_at"),
        indexed=["consultation_id"],
    )


def downgrade() -> None:
    drop_tables("consultation_messages", "consultation_links", "consultations", "consultation_topics")

"""project ideas: ideas, supports, reviews, author updates

Revision ID: 0006_ideas
Revises: 0001_baseline
Create Date: 2026-11-28 07:04:21.177977
"""
from collections.abc import Sequence

import sqlalchemy as sa

from db.migrations.helpers import create_table, drop_tables, id_column, json_column, moment, reference

revision: str = '0006_ideas'
down_revision: str | Sequence[str] | None = '0001_baseline'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_table(
        "ideas",
        id_column(),
        reference("author_id", "users", ondelete="CASCADE"),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("district", sa.String(length=32), nullable=False),
        sa.Column("audience", sa.String(length=32), nullable=False),
        json_column("help_needed"),
        json_column("media"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("staff_comment", sa.Text(), nullable=True),
        sa.Column("support_count", sa.Integer(), nullable=False),
        moment("created_at"),
        moment("submitted_at"),
        moment("published_at", nullable=True),
        moment("decided_at", nullable=True),
        moment("threshold_raised_at", nullable=True),
        moment("last_update_at", nullable=True),
        sa.Column("card_message_id", sa.BigInteger(), nullable=True),
        indexed=["author_id", "created_at", "district"],
        indexes={"ix_ideas_status_published": ["status", "published_at"]},
    )
    create_table(
        "idea_reviews",
        id_column(),
        reference("idea_id", "ideas", ondelete="CASCADE"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("actor_tg_id", sa.BigInteger(), nullable=True),
        moment("at"),
        indexed=["idea_id"],
    )
    create_table(
        "idea_supports",
        id_column(),
        reference("idea_id", "ideas", ondelete="CASCADE"),
        reference("user_id", "users", ondelete="CASCADE"),
        moment("created_at"),
        unique={"uq_idea_supports_idea_user": ["idea_id", "user_id"]},
        indexed=["user_id"],
    )
    create_table(
        "idea_updates",
        id_column(),
        reference("idea_id", "ideas", ondelete="CASCADE"),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        moment("created_at"),
        indexed=["idea_id"],
    )


def downgrade() -> None:
    drop_tables("idea_updates", "idea_supports", "idea_reviews", "ideas")

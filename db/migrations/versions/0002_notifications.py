"""notifications: news items for the weekly digest

Revision ID: 0002_notifications
Revises: 0001_baseline
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = "0002_notifications"
down_revision: str | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_news",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_tg_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=True),
        sa.Column("created_at", db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_news")),
    )
    op.create_index("ix_digest_news_status", "digest_news", ["status", "week"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_digest_news_status", table_name="digest_news")
    op.drop_table("digest_news")

"""report: providers' monthly offline recipients

Revision ID: 0010_report_offline_recipients
Revises: 0009_merge_features
Create Date: 2026-12-03 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = "0010_report_offline_recipients"
down_revision: str | Sequence[str] | None = "0009_merge_features"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_offline_recipients",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("card_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("provider_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("corrected_by", sa.BigInteger(), nullable=True),
        sa.Column("answered_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["showcase_cards.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["provider_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("card_id", "month", name="uq_report_offline_card_month"),
    )
    op.create_index(
        op.f("ix_report_offline_recipients_month"), "report_offline_recipients", ["month"], unique=False
    )
    op.create_index(
        op.f("ix_report_offline_recipients_provider_id"),
        "report_offline_recipients",
        ["provider_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_report_offline_recipients_provider_id"), table_name="report_offline_recipients")
    op.drop_index(op.f("ix_report_offline_recipients_month"), table_name="report_offline_recipients")
    op.drop_table("report_offline_recipients")

"""jobs: a lease per scheduled job, so several instances run each job once per moment

Revision ID: 0011_job_leases
Revises: 0010_report_offline_recipients
Create Date: 2026-12-04 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = "0011_job_leases"
down_revision: str | Sequence[str] | None = "0010_report_offline_recipients"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("moment", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("until", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("job_leases")

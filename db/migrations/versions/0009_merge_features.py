"""merge the feature branches into one line of history

Each feature's migration was written in parallel on top of the baseline; from here on there is one
head again, so the next migration has a single parent.

Revision ID: 0009_merge_features
Revises: 0002_notifications, 0003_booking, 0004_consultations, 0006_ideas, 0007_showcase (after
0005_events), 0008_broadcasts
Create Date: 2026-11-28 09:10:00
"""

from collections.abc import Sequence

revision: str = "0009_merge_features"
down_revision: str | Sequence[str] | None = (
    "0002_notifications",
    "0003_booking",
    "0004_consultations",
    "0006_ideas",
    "0007_showcase",
    "0008_broadcasts",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

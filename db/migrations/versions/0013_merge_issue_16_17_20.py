"""merge the three migrations written in parallel on 0011 into one line of history

0012_w16x_flows (voice notes on catalogue requests, how many people a room holds), 0012_w17_staff_topics
(the admin chat's forum topics) and 0012_w20_messenger (people keyed by messenger and id) touch different
tables, so they apply in any order; from here on there is one head again.

Revision ID: 0013_merge_issue_16_17_20
Revises: 0012_w16x_flows, 0012_w17_staff_topics, 0012_w20_messenger
Create Date: 2026-12-04 12:00:00
"""

from collections.abc import Sequence

revision: str = "0013_merge_issue_16_17_20"
down_revision: str | Sequence[str] | None = (
    "0012_w16x_flows",
    "0012_w17_staff_topics",
    "0012_w20_messenger",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""w20: people keyed by (messenger, id); the outbox and broadcast deliveries carry the messenger (MAX)

Revision ID: 0012_w20_messenger
Revises: 0011_job_leases
Create Date: 2026-12-04 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_w20_messenger"
down_revision: str | Sequence[str] | None = "0011_job_leases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _messenger() -> sa.Column:
    return sa.Column("messenger", sa.String(length=16), server_default="telegram", nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(_messenger())
        batch.drop_constraint("uq_users_tg_id", type_="unique")
        batch.create_unique_constraint("uq_users_messenger_tg_id", ["messenger", "tg_id"])
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(_messenger())
    with op.batch_alter_table("broadcast_deliveries") as batch:
        batch.add_column(_messenger())


def downgrade() -> None:
    with op.batch_alter_table("broadcast_deliveries") as batch:
        batch.drop_column("messenger")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("messenger")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_messenger_tg_id", type_="unique")
        batch.drop_column("messenger")
        batch.create_unique_constraint("uq_users_tg_id", ["tg_id"])

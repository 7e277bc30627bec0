"""w20: people keyed by (messenger, id); the outbox and broadcast deliveries carry the messenger (MAX);
a person's accounts in Telegram and MAX may be linked with a one-time code

Revision ID: 0012_w20_messenger
Revises: 0011_job_leases
Create Date: 2026-12-04 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base
from db.migrations.helpers import id_type

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
        batch.add_column(sa.Column("linked_to_id", id_type(), nullable=True))
        batch.add_column(sa.Column("link_code", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("link_code_until", db.base.UTCDateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            "fk_users_linked_to_id_users", "users", ["linked_to_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_users_link_code", ["link_code"])
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
        batch.drop_index("ix_users_link_code")
        batch.drop_constraint("fk_users_linked_to_id_users", type_="foreignkey")
        batch.drop_column("link_code_until")
        batch.drop_column("link_code")
        batch.drop_column("linked_to_id")
        batch.drop_constraint("uq_users_messenger_tg_id", type_="unique")
        batch.drop_column("messenger")
        batch.create_unique_constraint("uq_users_tg_id", ["tg_id"])

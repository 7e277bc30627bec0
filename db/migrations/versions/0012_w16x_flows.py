"""flows (issue 16): how many people a room holds; a voice message with a catalogue request

Revision ID: 0012_w16x_flows
Revises: 0011_job_leases
Create Date: 2026-12-04 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_w16x_flows"
down_revision: str | Sequence[str] | None = "0011_job_leases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEETING_ROOM_PEOPLE = 10


def upgrade() -> None:
    with op.batch_alter_table("booking_resources") as batch:
        batch.add_column(sa.Column("people", sa.Integer(), nullable=True))
    with op.batch_alter_table("showcase_requests") as batch:
        batch.add_column(sa.Column("note_voice", sa.String(length=256), nullable=True))
    op.execute(
        sa.text("UPDATE booking_resources SET people = :people WHERE code = 'meeting_room'").bindparams(
            people=MEETING_ROOM_PEOPLE
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("showcase_requests") as batch:
        batch.drop_column("note_voice")
    with op.batch_alter_table("booking_resources") as batch:
        batch.drop_column("people")

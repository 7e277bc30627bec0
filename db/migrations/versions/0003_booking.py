"""booking: resources, bookings, slot places

Revision ID: 0003_booking
Revises: 0001_baseline
Create Date: 2026-11-28 07:02:36.556029
"""
from collections.abc import Sequence

import sqlalchemy as sa

from db.migrations.helpers import create_table, drop_tables, id_column, json_column, moment, reference

revision: str = '0003_booking'
down_revision: str | Sequence[str] | None = '0001_baseline'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_table(
        "booking_resources",
        id_column(),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("min_minutes", sa.Integer(), nullable=False),
        sa.Column("max_minutes", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("min_notice_minutes", sa.Integer(), nullable=False),
        sa.Column("cancel_cutoff_minutes", sa.Integer(), nullable=False),
        sa.Column("weekly_quota_minutes", sa.Integer(), nullable=False),
        sa.Column("org_weekly_quota_minutes", sa.Integer(), nullable=False),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        json_column("hours"),
        json_column("closed_dates"),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        moment("created_at"),
        unique={"uq_booking_resources_code": ["code"]},
    )
    create_table(
        "bookings",
        id_column(),
        reference("resource_id", "booking_resources", ondelete="CASCADE"),
        reference("user_id", "users", ondelete="SET NULL", nullable=True),
        sa.Column("guest_name", sa.String(length=100), nullable=True),
        sa.Column("guest_phone", sa.String(length=32), nullable=True),
        sa.Column("booked_by_tg_id", sa.BigInteger(), nullable=True),
        moment("start_at"),
        moment("end_at"),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("is_long", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        moment("coming_at", nullable=True),
        sa.Column("decided_by_tg_id", sa.BigInteger(), nullable=True),
        moment("decided_at", nullable=True),
        moment("cancelled_at", nullable=True),
        moment("created_at"),
        indexed=["status", "user_id"],
        indexes={"ix_bookings_resource_start": ["resource_id", "start_at"]},
    )
    create_table(
        "booking_slots",
        id_column(),
        reference("booking_id", "bookings", ondelete="CASCADE"),
        reference("resource_id", "booking_resources", ondelete="CASCADE"),
        moment("slot_start"),
        sa.Column("place", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        unique={
            "uq_booking_slots_place": ["resource_id", "slot_start", "place"],
            "uq_booking_slots_person": ["resource_id", "slot_start", "user_id"],
        },
        indexed=["booking_id"],
    )


def downgrade() -> None:
    drop_tables("booking_slots", "bookings", "booking_resources")

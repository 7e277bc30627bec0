"""baseline: users, consent, audit, fsm state, notification outbox

Revision ID: 0001_baseline
Revises:
Create Date: 2026-11-28 06:50:44.381397
"""
from collections.abc import Sequence

import sqlalchemy as sa

from db.migrations.helpers import create_table, drop_tables, id_column, json_column, moment, reference

revision: str = '0001_baseline'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _create_audit_and_fsm_state()
    _create_users()
    _create_consent_and_notifications()


def _create_audit_and_fsm_state() -> None:
    create_table(
        "audit_log",
        id_column(),
        sa.Column("actor_tg_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=True),
        sa.Column("object_id", sa.BigInteger(), nullable=True),
        json_column("details"),
        moment("at"),
        indexed=["actor_tg_id", "at"],
    )
    create_table(
        "fsm_state",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=200), nullable=True),
        sa.Column("data", sa.Text(), nullable=True),
        moment("updated_at"),
        primary_key=["key"],
    )


def _create_users() -> None:
    create_table(
        "users",
        id_column(),
        sa.Column("tg_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("full_name", sa.String(length=100), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("target_group", sa.String(length=32), nullable=True),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("district", sa.String(length=32), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("news_opt_in", sa.Boolean(), nullable=False),
        sa.Column("digest_enabled", sa.Boolean(), nullable=False),
        sa.Column("reminders_enabled", sa.Boolean(), nullable=False),
        sa.Column("reminder_lead_minutes", sa.Integer(), nullable=False),
        json_column("interest_districts"),
        json_column("interest_topics"),
        moment("unreachable_at", nullable=True),
        moment("created_at"),
        moment("registered_at", nullable=True),
        moment("erased_at", nullable=True),
        unique={"uq_users_tg_id": ["tg_id"]},
        indexed=["district", "target_group"],
    )


def _create_consent_and_notifications() -> None:
    create_table(
        "consent_log",
        id_column(),
        reference("user_id", "users", ondelete="CASCADE"),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("policy_version", sa.String(length=16), nullable=False),
        moment("at"),
        indexed=["user_id"],
    )
    create_table(
        "notifications",
        id_column(),
        sa.Column("key", sa.String(length=200), nullable=False),
        reference("user_id", "users", ondelete="CASCADE", nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("ref_type", sa.String(length=32), nullable=True),
        sa.Column("ref_id", sa.BigInteger(), nullable=True),
        json_column("payload"),
        moment("due_at"),
        moment("expires_at", nullable=True),
        sa.Column("quiet", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        moment("claimed_until", nullable=True),
        moment("sent_at", nullable=True),
        moment("created_at"),
        unique={"uq_notifications_key": ["key"]},
        indexed=["user_id"],
        indexes={"ix_notifications_due": ["status", "due_at"]},
    )


def downgrade() -> None:
    drop_tables("notifications", "consent_log", "users", "fsm_state", "audit_log")

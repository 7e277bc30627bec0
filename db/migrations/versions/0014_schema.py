"""schema: the migrations 0001–0013 squashed into one baseline

Makes the schema the chain 0001_baseline … 0013_merge_issue_16_17_20 made, table for table, with the
same columns, types, defaults, keys, indexes and constraint names: 0001_baseline, 0002_notifications, 0003_booking, 0004_consultations, 0005_events,
0006_ideas, 0007_showcase, 0008_broadcasts, 0009_merge_features, 0010_report_offline_recipients,
0011_job_leases, 0012_w16x_flows, 0012_w17_staff_topics, 0012_w20_messenger, 0013_merge_issue_16_17_20.
(0012_w16x_flows also set the meeting room's size; a new database has no rooms yet, so there is nothing
to set.) Columns added by later steps stand last in their tables, where ALTER TABLE put them.

Older databases: one at 0013_merge_issue_16_17_20 has exactly this schema and is re-stamped 0014_schema
on start-up (db.migrate.adopt_squashed_history, under the migration lock). One at an older revision
stops start-up: run the bot once from commit a68fc75 (the last with the whole chain) to bring it to
0013, then this version.

Frozen like every migration: it imports no application code. It seeds no rows: the showcase categories
(which 0007_showcase used to insert) are seeded by the app into an empty table on first use
(services.showcase.ensure_categories), as the consultation topics always were, so the list stands once.

Revision ID: 0014_schema
Revises:
Create Date: 2026-12-04 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.migrations.helpers import create_table, drop_tables, id_column, json_column, moment, reference

revision: str = "0014_schema"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Dependent tables first.
TABLES = (
    "staff_topics",
    "job_leases",
    "report_offline_recipients",
    "broadcast_deliveries",
    "broadcasts",
    "showcase_expo_cards",
    "showcase_messages",
    "showcase_requests",
    "showcase_trial_applications",
    "showcase_cards",
    "showcase_categories",
    "idea_updates",
    "idea_supports",
    "idea_reviews",
    "ideas",
    "event_signups",
    "events",
    "consultation_messages",
    "consultation_links",
    "consultations",
    "consultation_topics",
    "booking_slots",
    "bookings",
    "booking_resources",
    "digest_news",
    "notifications",
    "consent_log",
    "fsm_state",
    "audit_log",
    "users",
)


def upgrade() -> None:
    _create_people()
    _create_outbox_and_digest()
    _create_booking()
    _create_consultations()
    _create_events()
    _create_ideas()
    _create_showcase_catalogue()
    _create_showcase_requests()
    _create_broadcasts()
    _create_report_and_workspace()


def downgrade() -> None:
    drop_tables(*TABLES)


def _messenger() -> sa.Column:
    """Whose messenger a person, a notice or a delivery belongs to (Telegram unless said)."""
    return sa.Column("messenger", sa.String(length=16), server_default="telegram", nullable=False)


def _create_people() -> None:
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
        _messenger(),
        reference("linked_to_id", "users", ondelete="SET NULL", nullable=True),
        sa.Column("link_code", sa.String(length=8), nullable=True),
        moment("link_code_until", nullable=True),
        unique={"uq_users_messenger_tg_id": ["messenger", "tg_id"]},
        indexed=["district", "target_group", "link_code"],
    )
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


def _create_outbox_and_digest() -> None:
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
        _messenger(),
        unique={"uq_notifications_key": ["key"]},
        indexed=["user_id"],
        indexes={"ix_notifications_due": ["status", "due_at"]},
    )
    create_table(
        "digest_news",
        id_column(),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_tg_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=True),
        moment("created_at"),
        indexes={"ix_digest_news_status": ["status", "week"]},
    )


def _create_booking() -> None:
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
        sa.Column("people", sa.Integer(), nullable=True),
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


def _create_consultations() -> None:
    create_table(
        "consultation_topics",
        id_column(),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("title_en", sa.String(length=100), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        unique={"uq_consultation_topics_code": ["code"]},
    )
    create_table(
        "consultations",
        id_column(),
        reference("user_id", "users", ondelete="CASCADE"),
        reference("topic_id", "consultation_topics"),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("org_key", sa.String(length=200), nullable=True),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("preferred_time", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("assignee_name", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        moment("meeting_at", nullable=True),
        sa.Column("meeting_place", sa.String(length=300), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        sa.Column("card_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("card_message_id", sa.BigInteger(), nullable=True),
        sa.Column("card_thread_id", sa.BigInteger(), nullable=True),
        moment("created_at"),
        moment("taken_at", nullable=True),
        moment("closed_at", nullable=True),
        moment("escalated_at", nullable=True),
        indexed=["org_key", "user_id"],
        indexes={"ix_consultations_status_created": ["status", "created_at"]},
    )
    create_table(
        "consultation_links",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        reference("consultation_id", "consultations", ondelete="CASCADE", nullable=True),
        sa.Column("purpose", sa.String(length=48), nullable=False),
        moment("created_at"),
        primary_key=["chat_id", "message_id"],
        indexed=["consultation_id"],
    )
    create_table(
        "consultation_messages",
        id_column(),
        reference("consultation_id", "consultations", ondelete="CASCADE"),
        sa.Column("author", sa.String(length=8), nullable=False),
        sa.Column("author_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("author_name", sa.String(length=100), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("file_id", sa.String(length=256), nullable=True),
        sa.Column("file_name", sa.String(length=256), nullable=True),
        moment("created_at"),
        indexed=["consultation_id"],
    )


def _create_events() -> None:
    create_table(
        "events",
        id_column(),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        moment("starts_at"),
        moment("ends_at"),
        sa.Column("place_kind", sa.String(length=16), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("district", sa.String(length=32), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        moment("reg_deadline"),
        json_column("audience"),
        sa.Column("poster_file_id", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("checkin_code", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        moment("created_at"),
        moment("published_at", nullable=True),
        moment("cancelled_at", nullable=True),
        indexes={"ix_events_status_starts": ["status", "starts_at"]},
    )
    create_table(
        "event_signups",
        id_column(),
        reference("event_id", "events", ondelete="CASCADE"),
        reference("user_id", "users", ondelete="CASCADE"),
        sa.Column("status", sa.String(length=16), nullable=False),
        moment("created_at"),
        moment("confirmed_at", nullable=True),
        moment("cancelled_at", nullable=True),
        moment("offered_at", nullable=True),
        moment("offer_expires_at", nullable=True),
        moment("will_come_at", nullable=True),
        moment("checked_in_at", nullable=True),
        sa.Column("checked_in_by", sa.BigInteger(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        moment("feedback_at", nullable=True),
        unique={"uq_event_signups_event_id_user_id": ["event_id", "user_id"]},
        indexed=["user_id"],
        indexes={"ix_event_signups_event_status": ["event_id", "status"]},
    )


def _create_ideas() -> None:
    create_table(
        "ideas",
        id_column(),
        reference("author_id", "users", ondelete="CASCADE"),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("district", sa.String(length=32), nullable=False),
        sa.Column("audience", sa.String(length=32), nullable=False),
        json_column("help_needed"),
        json_column("media"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("staff_comment", sa.Text(), nullable=True),
        sa.Column("support_count", sa.Integer(), nullable=False),
        moment("created_at"),
        moment("submitted_at"),
        moment("published_at", nullable=True),
        moment("decided_at", nullable=True),
        moment("threshold_raised_at", nullable=True),
        moment("last_update_at", nullable=True),
        sa.Column("card_message_id", sa.BigInteger(), nullable=True),
        indexed=["author_id", "created_at", "district"],
        indexes={"ix_ideas_status_published": ["status", "published_at"]},
    )
    create_table(
        "idea_reviews",
        id_column(),
        reference("idea_id", "ideas", ondelete="CASCADE"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("actor_tg_id", sa.BigInteger(), nullable=True),
        moment("at"),
        indexed=["idea_id"],
    )
    create_table(
        "idea_supports",
        id_column(),
        reference("idea_id", "ideas", ondelete="CASCADE"),
        reference("user_id", "users", ondelete="CASCADE"),
        moment("created_at"),
        unique={"uq_idea_supports_idea_user": ["idea_id", "user_id"]},
        indexed=["user_id"],
    )
    create_table(
        "idea_updates",
        id_column(),
        reference("idea_id", "ideas", ondelete="CASCADE"),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        moment("created_at"),
        indexed=["idea_id"],
    )


def _create_showcase_catalogue() -> None:
    create_table(
        "showcase_categories",
        id_column(),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("title_ru", sa.String(length=64), nullable=False),
        sa.Column("title_en", sa.String(length=64), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        unique={"uq_showcase_categories_code": ["code"]},
    )
    create_table(
        "showcase_cards",
        id_column(),
        reference("provider_id", "users", ondelete="CASCADE"),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        reference("category_id", "showcase_categories"),
        sa.Column("description", sa.Text(), nullable=False),
        json_column("districts"),
        sa.Column("district_index", sa.String(length=400), nullable=False),
        sa.Column("price", sa.String(length=100), nullable=True),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("photo_file_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("staff_comment", sa.Text(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("moderated_by", sa.BigInteger(), nullable=True),
        moment("moderated_at", nullable=True),
        moment("published_at", nullable=True),
        moment("created_at"),
        moment("updated_at"),
        indexed=["provider_id"],
        indexes={"ix_showcase_cards_status_category": ["status", "category_id"]},
    )
    create_table(
        "showcase_trial_applications",
        id_column(),
        reference("user_id", "users", ondelete="CASCADE"),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("staff_comment", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        moment("decided_at", nullable=True),
        sa.Column("booking_ref", sa.String(length=64), nullable=True),
        moment("created_at"),
        indexed=["user_id"],
    )


def _create_showcase_requests() -> None:
    create_table(
        "showcase_requests",
        id_column(),
        reference("card_id", "showcase_cards", ondelete="CASCADE"),
        reference("resident_id", "users", ondelete="CASCADE"),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("phone_shared", sa.Boolean(), nullable=False),
        moment("phone_consent_at", nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        moment("created_at"),
        moment("answered_at", nullable=True),
        moment("done_at", nullable=True),
        moment("closed_at", nullable=True),
        moment("escalated_at", nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        moment("rated_at", nullable=True),
        sa.Column("note_voice", sa.String(length=256), nullable=True),
        indexed=["card_id", "resident_id"],
        indexes={"ix_showcase_requests_status_created": ["status", "created_at"]},
    )
    create_table(
        "showcase_messages",
        id_column(),
        reference("request_id", "showcase_requests", ondelete="CASCADE"),
        reference("sender_id", "users", ondelete="CASCADE"),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        moment("created_at"),
        indexed=["request_id"],
    )
    create_table(
        "showcase_expo_cards",
        id_column(),
        reference("event_id", "events", ondelete="CASCADE"),
        reference("card_id", "showcase_cards", ondelete="CASCADE"),
        sa.Column("added_by", sa.BigInteger(), nullable=False),
        moment("added_at"),
        unique={"uq_showcase_expo_cards_event_id_card_id": ["event_id", "card_id"]},
        indexed=["card_id"],
    )


def _create_broadcasts() -> None:
    create_table(
        "broadcasts",
        id_column(),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("source_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("source_message_id", sa.BigInteger(), nullable=False),
        sa.Column("content_kind", sa.String(length=16), nullable=False),
        sa.Column("excerpt", sa.String(length=120), nullable=False),
        json_column("audience"),
        moment("start_at"),
        sa.Column("quiet", sa.Boolean(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("unsubscribed", sa.Integer(), nullable=False),
        sa.Column("progress_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_message_id", sa.BigInteger(), nullable=True),
        sa.Column("lease_owner", sa.String(length=40), nullable=True),
        moment("lease_until", nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        moment("created_at"),
        moment("started_at", nullable=True),
        moment("finished_at", nullable=True),
        indexes={"ix_broadcasts_status_start": ["status", "start_at"]},
    )
    create_table(
        "broadcast_deliveries",
        id_column(),
        reference("broadcast_id", "broadcasts", ondelete="CASCADE"),
        reference("user_id", "users", ondelete="SET NULL", nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        moment("next_at", nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        moment("sent_at", nullable=True),
        _messenger(),
        unique={"uq_broadcast_deliveries_broadcast_id_user_id": ["broadcast_id", "user_id"]},
        indexed=["user_id"],
        indexes={"ix_broadcast_deliveries_queue": ["broadcast_id", "status", "id"]},
    )


def _create_report_and_workspace() -> None:
    create_table(
        "report_offline_recipients",
        id_column(),
        reference("card_id", "showcase_cards", ondelete="CASCADE"),
        reference("provider_id", "users", ondelete="CASCADE"),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("corrected_by", sa.BigInteger(), nullable=True),
        moment("answered_at"),
        unique={"uq_report_offline_card_month": ["card_id", "month"]},
        indexed=["month", "provider_id"],
    )
    create_table(
        "job_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("moment", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        moment("until"),
        moment("done_at", nullable=True),
        primary_key=["name"],
    )
    create_table(
        "staff_topics",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("value", sa.Integer(), nullable=True),
        moment("checked_at", nullable=True),
        primary_key=["code"],
    )

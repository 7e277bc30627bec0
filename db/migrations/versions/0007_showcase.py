"""services showcase

Revision ID: 0007_showcase
Revises: 0005_events
Create Date: 2026-11-28 07:10:58.365834
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.migrations.helpers import create_table, drop_tables, id_column, json_column, moment, reference

# The Center's list at the time of this migration (staff edit it in the bot afterwards).
DEFAULT_CATEGORIES = (
    ("social_service", "Социальное обслуживание", "Social services"),
    ("elderly", "Помощь пожилым", "Help for older people"),
    ("families", "Семьи и дети", "Families and children"),
    ("education", "Образование и досуг", "Education and leisure"),
    ("culture", "Культура", "Culture"),
    ("sport", "Спорт", "Sport"),
    ("inclusion", "Инклюзия", "Inclusion"),
    ("ecology", "Экология", "Ecology"),
    ("social_goods", "Товары социальных предпринимателей", "Goods of social entrepreneurs"),
    ("other", "Другое", "Other"),
)

revision: str = '0007_showcase'
down_revision: str | Sequence[str] | None = "0005_events"  # showcase_expo_cards refers to events
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _create_categories()
    _create_cards()
    _create_trial_applications()
    _create_requests_and_messages()
    _create_expo_cards()


def _create_categories() -> None:
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
    categories = sa.table(
        "showcase_categories",
        sa.column("code", sa.String),
        sa.column("title_ru", sa.String),
        sa.column("title_en", sa.String),
        sa.column("position", sa.Integer),
        sa.column("active", sa.Boolean),
    )
    op.bulk_insert(
        categories,
        [
            {"code": code, "title_ru": ru, "title_en": en, "position": position, "active": True}
            for position, (code, ru, en) in enumerate(DEFAULT_CATEGORIES)
        ],
    )


def _create_cards() -> None:
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


def _create_trial_applications() -> None:
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


def _create_requests_and_messages() -> None:
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


def _create_expo_cards() -> None:
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


def downgrade() -> None:
    drop_tables(
        "showcase_expo_cards",
        "showcase_messages",
        "showcase_requests",
        "showcase_trial_applications",
        "showcase_cards",
        "showcase_categories",
    )

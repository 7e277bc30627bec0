"""The services showcase (ЭКСПО услуг): providers' service cards, residents' requests, the relayed
conversation, ratings, and applications for the social-business trial office."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Id, JSONType, utcnow


class CardStatus(StrEnum):
    PENDING = "pending"  # waiting for staff moderation
    PUBLISHED = "published"
    RETURNED = "returned"  # sent back to the provider with a comment
    DECLINED = "declined"
    PAUSED = "paused"  # hidden by the provider for a while
    REMOVED = "removed"  # removed by the provider (kept for reports)


class RequestStatus(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    DONE = "done"
    CANCELLED = "cancelled"  # withdrawn by the resident (or the card went away)


class TrialStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class ShowcaseCategory(Base):
    """Categories of services; seeded with the Center's list, staff add, rename and hide them."""

    __tablename__ = "showcase_categories"

    id: Mapped[Id]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title_ru: Mapped[str] = mapped_column(String(64))
    title_en: Mapped[str | None] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ServiceCard(Base):
    __tablename__ = "showcase_cards"
    __table_args__ = (Index("ix_showcase_cards_status_category", "status", "category_id"),)

    id: Mapped[Id]
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(120))
    category_id: Mapped[int] = mapped_column(ForeignKey("showcase_categories.id"))
    description: Mapped[str] = mapped_column(Text)
    districts: Mapped[list[str]] = mapped_column(JSONType, default=list)
    """District codes served (services.users.DISTRICTS)."""
    district_index: Mapped[str] = mapped_column(String(400), default="")
    """The same codes as ",a,b,": a portable LIKE filter on SQLite and PostgreSQL."""
    price: Mapped[str | None] = mapped_column(String(100))
    """None: free of charge; otherwise the price as the provider wrote it."""
    format: Mapped[str] = mapped_column(String(16))
    photo_file_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=CardStatus.PENDING)
    staff_comment: Mapped[str | None] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text, default="")
    """Lower-cased (Unicode) organisation, title and description: what the word search looks in."""
    moderated_by: Mapped[int | None] = mapped_column(BigInteger)
    moderated_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ServiceRequest(Base):
    __tablename__ = "showcase_requests"
    __table_args__ = (Index("ix_showcase_requests_status_created", "status", "created_at"),)

    id: Mapped[Id]
    card_id: Mapped[int] = mapped_column(ForeignKey("showcase_cards.id", ondelete="CASCADE"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    note_voice: Mapped[str | None] = mapped_column(String(256))
    """A voice message with the request (its Telegram file_id): sent to the provider as voice."""
    phone_shared: Mapped[bool] = mapped_column(Boolean, default=False)
    """The resident agreed that their phone is shown to this provider (for this request only)."""
    phone_consent_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.NEW)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    """When staff were told the provider had not answered in time."""
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]


class ServiceMessage(Base):
    """One message relayed by the bot between a resident and a provider about a request."""

    __tablename__ = "showcase_messages"

    id: Mapped[Id]
    request_id: Mapped[int] = mapped_column(
        ForeignKey("showcase_requests.id", ondelete="CASCADE"), index=True
    )
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # text | photo | document | voice | other
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrialApplication(Base):
    """An application to use the social-business trial office for a period."""

    __tablename__ = "showcase_trial_applications"

    id: Mapped[Id]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation: Mapped[str] = mapped_column(String(200))
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=TrialStatus.PENDING)
    staff_comment: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[datetime | None]
    booking_ref: Mapped[str | None] = mapped_column(String(64))
    """The long booking of the trial office made on approval (booking feature's id), if any."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExpoCard(Base):
    """A card taking part in an EXPO event (the events feature's table): staff link them."""

    __tablename__ = "showcase_expo_cards"
    __table_args__ = (UniqueConstraint("event_id", "card_id"),)

    id: Mapped[Id]
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    card_id: Mapped[int] = mapped_column(ForeignKey("showcase_cards.id", ondelete="CASCADE"), index=True)
    added_by: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

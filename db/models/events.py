"""Events (trainings, seminars, EXPO days, meetings, online sessions) and people's sign-ups.

Capacity is counted over sign-ups that hold a place (confirmed, or offered from the wait-list and not
yet expired); the check-then-write happens under the event row lock (see services.events).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Id, JSONType, utcnow


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class SignupStatus(StrEnum):
    CONFIRMED = "confirmed"  # holds a place
    OFFERED = "offered"  # a freed place offered from the wait-list; holds it until offer_expires_at
    WAITING = "waiting"  # on the wait-list
    CANCELLED = "cancelled"  # the person cancelled (or said «Не смогу»)
    DECLINED = "declined"  # the person declined a wait-list offer
    EXPIRED = "expired"  # a wait-list offer was not confirmed in time


HOLDING = (SignupStatus.CONFIRMED, SignupStatus.OFFERED)
ACTIVE = (SignupStatus.CONFIRMED, SignupStatus.OFFERED, SignupStatus.WAITING)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_status_starts", "status", "starts_at"),)

    id: Mapped[Id]
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16))  # training | seminar | expo | meeting | online
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    place_kind: Mapped[str] = mapped_column(String(16))  # center | address | online
    place: Mapped[str] = mapped_column(String(300), default="")
    """A room of the Center, an address, or the online link."""
    district: Mapped[str | None] = mapped_column(String(32))
    """Where it happens (None: online, for every district)."""
    capacity: Mapped[int | None] = mapped_column(Integer)
    """Places; None means no limit."""
    reg_deadline: Mapped[datetime]
    audience: Mapped[list[str]] = mapped_column(JSONType, default=list)
    """Target groups the event is for; empty: everyone."""
    poster_file_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.DRAFT)
    checkin_code: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class EventSignup(Base):
    __tablename__ = "event_signups"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        Index("ix_event_signups_event_status", "event_id", "status"),
    )

    id: Mapped[Id]
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    """When the person signed up (or joined the wait-list) last: the wait-list order."""
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    offered_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None]
    will_come_at: Mapped[datetime | None]
    """The person answered «Буду» to a reminder."""
    checked_in_at: Mapped[datetime | None]
    checked_in_by: Mapped[int | None] = mapped_column(BigInteger)
    """The staff member's Telegram id, or None for a self check-in."""
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    feedback_at: Mapped[datetime | None]

"""Coworking booking: bookable resources, bookings, and the places each booking holds.

The no-double-booking guarantee lives in ``booking_slots``: a booking holds one row per slot it
covers, with a place number between 1 and the resource's capacity, and (resource, slot, place) is
unique. A person may hold at most one place per slot of a resource ((resource, slot, user) unique).
Cancelling or rejecting a booking deletes its slot rows, which frees the places at once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Id, JSONType, utcnow


class BookingStatus(StrEnum):
    PENDING = "pending"  # waits for staff approval; its places are held
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


ACTIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)


class Resource(Base):
    """Something bookable: the coworking desks, the meeting room, the EXPO hall, the trial office."""

    __tablename__ = "booking_resources"

    id: Mapped[Id]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    """Places per slot (desks); 1 for a room booked by one group at a time."""
    people: Mapped[int | None] = mapped_column(Integer)
    """How many people the room holds (a room booked whole: «Переговорная: до 10 человек»); None: not said."""
    slot_minutes: Mapped[int] = mapped_column(Integer, default=60)
    min_minutes: Mapped[int] = mapped_column(Integer, default=60)
    max_minutes: Mapped[int] = mapped_column(Integer, default=240)
    horizon_days: Mapped[int] = mapped_column(Integer, default=14)
    """How far ahead one can book, in days from today."""
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=0)
    cancel_cutoff_minutes: Mapped[int] = mapped_column(Integer, default=60)
    weekly_quota_minutes: Mapped[int] = mapped_column(Integer, default=0)
    """Per person and week (Mon–Sun); 0 means no quota."""
    org_weekly_quota_minutes: Mapped[int] = mapped_column(Integer, default=0)
    """Per organisation and week; 0 means no quota."""
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    hours: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    """Opening hours per ISO weekday, local time: {"1": ["09:00", "18:00"], ...}; a missing day is closed."""
    closed_dates: Mapped[list[str]] = mapped_column(JSONType, default=list)
    """ISO dates (holidays) when the resource is closed."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def title(self, language: str | None) -> str:
        return (self.name_en or self.name) if language == "en" else self.name


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (Index("ix_bookings_resource_start", "resource_id", "start_at"),)

    id: Mapped[Id]
    resource_id: Mapped[int] = mapped_column(ForeignKey("booking_resources.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    """The person who booked; None for a resident without Telegram booked by staff."""
    guest_name: Mapped[str | None] = mapped_column(String(100))
    guest_phone: Mapped[str | None] = mapped_column(String(32))
    booked_by_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    """The staff member who booked on someone's behalf."""
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    minutes: Mapped[int] = mapped_column(Integer)
    """Booked time (the sum of its slots; a long booking skips closed days)."""
    purpose: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=BookingStatus.CONFIRMED, index=True)
    is_long: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    """Why staff rejected or cancelled it."""
    coming_at: Mapped[datetime | None]
    """When the person answered «Приду» to the reminder."""
    decided_by_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BookingSlot(Base):
    """One place in one slot, held by one booking."""

    __tablename__ = "booking_slots"
    __table_args__ = (
        UniqueConstraint("resource_id", "slot_start", "place", name="uq_booking_slots_place"),
        UniqueConstraint("resource_id", "slot_start", "user_id", name="uq_booking_slots_person"),
    )

    id: Mapped[Id]
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("booking_resources.id", ondelete="CASCADE"))
    slot_start: Mapped[datetime]
    place: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    """Copied from the booking (None for guests) so one person cannot hold two places of a slot."""

"""The notification outbox: every time-driven message is a row here before it is sent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Id, JSONType, utcnow
from db.messenger import TELEGRAM


class NotificationStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DROPPED = "dropped"  # its moment passed before it could be sent


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "due_at"),)

    id: Mapped[Id]
    key: Mapped[str] = mapped_column(String(200), unique=True)
    """Unique per (kind, object, person): the same notice is never queued twice."""
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    messenger: Mapped[str] = mapped_column(String(16), default=TELEGRAM, server_default=TELEGRAM)
    """The messenger whose bot sends it (the person's, db.messenger)."""
    kind: Mapped[str] = mapped_column(String(48))
    ref_type: Mapped[str | None] = mapped_column(String(32))
    ref_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    due_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    """After this moment the notice is dropped, not sent late (e.g. the event has started)."""
    quiet: Mapped[bool] = mapped_column(Boolean, default=False)
    """True for digests and announcements: held back during quiet hours."""
    status: Mapped[str] = mapped_column(String(16), default=NotificationStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Broadcasts: one row per announcement, one delivery row per recipient.

The delivery rows are the truth about who got what: the sender marks each one right after its own
send, so a broadcast interrupted at any moment (even kill -9) resumes with the rows still pending.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Id, JSONType, utcnow
from db.messenger import TELEGRAM


class BroadcastStatus(StrEnum):
    SCHEDULED = "scheduled"  # waits for start_at (immediate ones: start_at = now)
    RUNNING = "running"  # deliveries made, the sender goes through them
    STOPPED = "stopped"  # stopped by staff; pending deliveries stay pending (can be resumed)
    DONE = "done"
    CANCELLED = "cancelled"  # a scheduled one cancelled before it started
    FAILED = "failed"  # cannot go on (the source message was deleted)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    BLOCKED = "blocked"  # blocked the bot, deactivated, chat gone: never retried
    FAILED = "failed"  # other errors, after the last attempt
    SKIPPED = "skipped"  # unsubscribed, erased or unreachable before their turn came


class Broadcast(Base):
    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_status_start", "status", "start_at"),)

    id: Mapped[Id]
    status: Mapped[str] = mapped_column(String(16), default=BroadcastStatus.SCHEDULED)
    created_by: Mapped[int] = mapped_column(BigInteger)
    """Telegram id of the staff member who started it."""
    source_chat_id: Mapped[int] = mapped_column(BigInteger)
    source_message_id: Mapped[int] = mapped_column(BigInteger)
    content_kind: Mapped[str] = mapped_column(String(16))
    excerpt: Mapped[str] = mapped_column(String(120), default="")
    """The start of the text or caption, for the history (plain text, escaped when shown)."""
    audience: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    start_at: Mapped[datetime]
    quiet: Mapped[bool] = mapped_column(Boolean, default=False)
    """Scheduled broadcasts wait for the end of quiet hours; «Отправить» now does not."""
    total: Mapped[int] = mapped_column(Integer, default=0)
    unsubscribed: Mapped[int] = mapped_column(Integer, default=0)
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    lease_owner: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class BroadcastDelivery(Base):
    __tablename__ = "broadcast_deliveries"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "user_id"),
        Index("ix_broadcast_deliveries_queue", "broadcast_id", "status", "id"),
    )

    id: Mapped[Id]
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    """The person's chat; cleared when they erase their data."""
    messenger: Mapped[str] = mapped_column(String(16), default=TELEGRAM, server_default=TELEGRAM)
    """The messenger whose bot sends it (the person's, db.messenger)."""
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime | None]
    """A retry waits until then."""
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None]

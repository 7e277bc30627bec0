"""News items staff add to the next weekly digest."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Id, utcnow


class NewsStatus(StrEnum):
    QUEUED = "queued"  # waits for the next digest
    SENT = "sent"  # went out with the digest of ``week``
    REMOVED = "removed"  # staff took it back before it went out


class DigestNews(Base):
    __tablename__ = "digest_news"
    __table_args__ = (Index("ix_digest_news_status", "status", "week"),)

    id: Mapped[Id]
    text: Mapped[str] = mapped_column(Text)
    """As staff typed it (plain text); escaped whenever it is shown."""
    author_tg_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default=NewsStatus.QUEUED)
    week: Mapped[str | None] = mapped_column(String(10))
    """ISO week (2026-W48) of the digest that carried it."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Project ideas: what people propose, how staff moderate them, who supports them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Id, JSONType, utcnow


class IdeaStatus(StrEnum):
    MODERATION = "moderation"  # sent, waiting for staff
    REVISION = "revision"  # returned to the author with a comment
    PUBLISHED = "published"
    IN_PROGRESS = "in_progress"
    IMPLEMENTED = "implemented"
    REJECTED = "rejected"


class Idea(Base):
    __tablename__ = "ideas"
    __table_args__ = (Index("ix_ideas_status_published", "status", "published_at"),)

    id: Mapped[Id]
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    district: Mapped[str] = mapped_column(String(32), index=True)
    audience: Mapped[str] = mapped_column(String(32))
    help_needed: Mapped[list[str]] = mapped_column(JSONType, default=list)
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    """[{"kind": "photo" | "document" | "voice", "file_id": "..."}], as Telegram gave them."""
    status: Mapped[str] = mapped_column(String(16), default=IdeaStatus.MODERATION)
    staff_comment: Mapped[str | None] = mapped_column(Text)
    """The last comment or reason staff gave the author."""
    support_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    """Last time it was sent to moderation (a resubmission moves it)."""
    published_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    threshold_raised_at: Mapped[datetime | None]
    last_update_at: Mapped[datetime | None]
    """When the author last wrote to the supporters (at most once every few days)."""
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    """The staff card of the current submission in the admin chat (older cards lose their buttons)."""


class IdeaSupport(Base):
    __tablename__ = "idea_supports"
    __table_args__ = (UniqueConstraint("idea_id", "user_id", name="uq_idea_supports_idea_user"),)

    id: Mapped[Id]
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdeaReview(Base):
    """Every status change of an idea, with the staff comment given with it."""

    __tablename__ = "idea_reviews"

    id: Mapped[Id]
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    actor_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class IdeaUpdate(Base):
    """A note the author sent to the supporters of the idea."""

    __tablename__ = "idea_updates"

    id: Mapped[Id]
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Consultations: topics staff can edit, requests from people, their conversation with staff."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Id, utcnow


class ConsultStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    MEETING = "meeting"
    CLOSED = "closed"
    CANCELLED = "cancelled"  # withdrawn by the person


OPEN_STATUSES = (ConsultStatus.NEW, ConsultStatus.IN_PROGRESS, ConsultStatus.MEETING)


class ConsultationTopic(Base):
    __tablename__ = "consultation_topics"

    id: Mapped[Id]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(100))
    title_en: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    """Forum topic of the admin chat where this topic's requests go (created on demand)."""


class Consultation(Base):
    __tablename__ = "consultations"
    __table_args__ = (Index("ix_consultations_status_created", "status", "created_at"),)

    id: Mapped[Id]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("consultation_topics.id"))
    question: Mapped[str] = mapped_column(Text)
    organisation: Mapped[str | None] = mapped_column(String(200))
    org_key: Mapped[str | None] = mapped_column(String(200), index=True)
    """The organisation case-folded in Python (SQLite's lower() leaves Cyrillic alone): history and search."""
    format: Mapped[str] = mapped_column(String(16))
    preferred_time: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=ConsultStatus.NEW)
    assignee_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    assignee_name: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(16))
    meeting_at: Mapped[datetime | None]
    meeting_place: Mapped[str | None] = mapped_column(String(300))
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    card_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    card_thread_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    taken_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    """When the request was last raised again in the admin chat because nobody took it."""


class ConsultationMessage(Base):
    """One message of the conversation (the person's attachments and additions, staff answers)."""

    __tablename__ = "consultation_messages"

    id: Mapped[Id]
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(8))  # person | staff
    author_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    author_name: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default="text")  # text | photo | document
    text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(256))
    file_name: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsultationLink(Base):
    """A bot message (card, prompt, copy) in some chat and the request it belongs to: a reply to it
    is routed to that request. ``purpose`` says what a reply means there."""

    __tablename__ = "consultation_links"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(48))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""People, their consent, staff audit trail and conversation state."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Id, JSONType, utcnow
from db.messenger import TELEGRAM


class UserStatus(StrEnum):
    CONSENTED = "consented"  # consent given, registration not finished
    REGISTERED = "registered"
    ERASED = "erased"  # identity removed at the person's request


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("messenger", "tg_id"),)

    id: Mapped[Id]
    tg_id: Mapped[int | None] = mapped_column(BigInteger)
    """The person's id in their messenger (Telegram's or MAX's user id; the name is historical)."""
    messenger: Mapped[str] = mapped_column(String(16), default=TELEGRAM, server_default=TELEGRAM)
    """db.messenger: "telegram" or "max"; (messenger, tg_id) is the person."""
    linked_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    """The same person's account in the other messenger, linked with a one-time code (/link): reports
    count the two once, as the account linked to."""
    link_code: Mapped[str | None] = mapped_column(String(8), index=True)
    link_code_until: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=UserStatus.CONSENTED)
    full_name: Mapped[str | None] = mapped_column(String(100))
    username: Mapped[str | None] = mapped_column(String(64))
    target_group: Mapped[str | None] = mapped_column(String(32), index=True)
    organisation: Mapped[str | None] = mapped_column(String(200))
    district: Mapped[str | None] = mapped_column(String(32), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(8))
    news_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    digest_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    reminder_lead_minutes: Mapped[int] = mapped_column(Integer, default=1440)
    interest_districts: Mapped[list[str]] = mapped_column(JSONType, default=list)
    interest_topics: Mapped[list[str]] = mapped_column(JSONType, default=list)
    unreachable_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    registered_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]

    @property
    def is_registered(self) -> bool:
        return self.status == UserStatus.REGISTERED

    @property
    def first_name(self) -> str:
        return (self.full_name or "").split(" ")[0]


class ConsentLog(Base):
    """Every consent given or withdrawn, with the policy version it was given for."""

    __tablename__ = "consent_log"

    id: Mapped[Id]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # given | withdrawn
    policy_version: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditLog(Base):
    """What staff did, to what, when."""

    __tablename__ = "audit_log"

    id: Mapped[Id]
    actor_tg_id: Mapped[int] = mapped_column(BigInteger, index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(BigInteger)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class FsmState(Base):
    """Conversation (FSM) state and data, one row per storage key (see bot.storage.SQLStorage)."""

    __tablename__ = "fsm_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

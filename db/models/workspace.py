"""The staff workspace in the admin chat: forum topics the bot created per feature, and the pinned
«Ждут ответа» message it keeps up to date. No person in it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base


class StaffTopic(Base):
    """One row per code: a feature's forum topic (``thread_id``), the errors topic, ``@forum`` (whether
    the admin chat is a forum, ``value`` 1/0, looked up again after a while) and ``@pin`` (the pinned
    count's ``message_id`` and the count it shows, ``value``)."""

    __tablename__ = "staff_topics"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(Integer)
    message_id: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[int | None] = mapped_column(Integer)
    checked_at: Mapped[datetime | None]

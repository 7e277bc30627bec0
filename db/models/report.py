"""Providers' offline recipients: how many people received a service off the bot in a month.

One row per (card, month). The provider answers the monthly prompt (``source`` "provider", marked
self-reported in the report) or says «не знаю» (``count`` None); staff may correct it (``source``
"staff"). The reach report adds the counts to «получатели услуг».
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Id, utcnow


class OfflineRecipients(Base):
    __tablename__ = "report_offline_recipients"
    __table_args__ = (UniqueConstraint("card_id", "month", name="uq_report_offline_card_month"),)

    id: Mapped[Id]
    card_id: Mapped[int] = mapped_column(ForeignKey("showcase_cards.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    """The first day of the month the answer is about."""
    count: Mapped[int | None] = mapped_column(Integer)
    """People who received the service; None: the provider does not know."""
    source: Mapped[str] = mapped_column(String(16), default="provider")  # provider | staff
    corrected_by: Mapped[int | None] = mapped_column(BigInteger)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)

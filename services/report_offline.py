"""Providers' offline recipients: the monthly question, the answers, staff corrections.

On the 1st of each month (TIMEZONE) every provider with a published card is asked through the outbox,
once per card, how many people received the service last month; a number pad of buttons builds the
number (the value travels in the callback data, nothing is stored until «Сохранить»), or they say
«не знаю». A reminder is queued with the question and cancelled by the answer. Staff can correct an
answer (/offline_fix); a staff correction is not overwritten by a later provider answer.

Personal data: the rows hold numbers about a service, not about people; /privacy exports a provider's
answers, and they stay (with the anonymised provider) when the provider erases their data.
"""

from __future__ import annotations

import html
import logging
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database, write
from db.models import User
from db.models.report import OfflineRecipients
from db.models.showcase import CardStatus, ServiceCard
from services import audit, notifications

log = logging.getLogger(__name__)

KIND = "report.offline"
REMIND_KIND = "report.offline_remind"
REF_TYPE = "card"
MAX_COUNT = 99_999
ANSWER_DAYS = 25
"""The question and the reminder are dropped after this many days (the month's report is due)."""
HISTORY_MONTHS = 12
"""Answers (and corrections) are accepted for months at most this far back."""


def previous_month(now: datetime, tz: ZoneInfo) -> date:
    today = now.astimezone(tz).date()
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def ym(month: date) -> int:
    return month.year * 100 + month.month


def month_of(value: int, now: datetime, tz: ZoneInfo) -> date | None:
    """The month a 2026-11 -> 202611 number names, if it is a finished month within HISTORY_MONTHS."""
    year, number = divmod(value, 100)
    if not (1 <= number <= 12 and 2000 <= year <= 2100):
        return None
    month = date(year, number, 1)
    this_month = now.astimezone(tz).date().replace(day=1)
    oldest = this_month
    for _ in range(HISTORY_MONTHS):
        oldest = (oldest - timedelta(days=1)).replace(day=1)
    return month if oldest <= month < this_month else None


def pad(card_id: int, month: int, value: int) -> list[list[dict[str, str]]]:
    """The number pad as outbox button rows; each digit's data carries the number it makes."""

    def digit(d: int) -> dict[str, str]:
        new = value * 10 + d
        return {"label": str(d), "data": f"rof:d:{card_id}:{month}:{new if new <= MAX_COUNT else value}"}

    return [
        [digit(1), digit(2), digit(3)],
        [digit(4), digit(5), digit(6)],
        [digit(7), digit(8), digit(9)],
        [
            {"label": "⌫", "data": f"rof:d:{card_id}:{month}:{value // 10}"},
            digit(0),
            {"text": "report.offline_save", "data": f"rof:ok:{card_id}:{month}:{value}"},
        ],
        [{"text": "report.offline_unknown_btn", "data": f"rof:dk:{card_id}:{month}:0"}],
    ]


def question_params(card: ServiceCard, month: date) -> dict[str, Any]:
    return {
        "title": html.escape(card.title),
        "organisation": html.escape(card.organisation),
        "month": {"t": f"report.month_in_{month.month}"},
        "year": month.year,
    }


def reminder_key(card_id: int, provider_id: int, month: date) -> str:
    return notifications.make_key(REMIND_KIND, REF_TYPE, card_id, provider_id, month.isoformat())


async def queue_monthly(db: Database, now: datetime, tz: ZoneInfo, remind_days: int) -> int:
    """Ask every provider with a published card about last month (once per card and month)."""
    month = previous_month(now, tz)
    answered = select(OfflineRecipients.card_id).where(OfflineRecipients.month == month)
    queued = 0
    async with db.session() as session, write(session):
        rows = await session.execute(
            select(ServiceCard, User)
            .join(User, User.id == ServiceCard.provider_id)
            .where(ServiceCard.status == CardStatus.PUBLISHED, ServiceCard.id.not_in(answered))
            .order_by(ServiceCard.id)
        )
        for card, provider in rows.all():
            params = question_params(card, month)
            buttons = pad(card.id, ym(month), 0)
            expires = now + timedelta(days=ANSWER_DAYS)
            row = await notifications.queue(
                session,
                user=provider,
                kind=KIND,
                due_at=now,
                ref_type=REF_TYPE,
                ref_id=card.id,
                payload={"text": "report.offline_ask", "params": params, "buttons": buttons},
                expires_at=expires,
                key=notifications.make_key(KIND, REF_TYPE, card.id, provider.id, month.isoformat()),
            )
            if row is None:
                continue
            queued += 1
            await notifications.queue(
                session,
                user=provider,
                kind=REMIND_KIND,
                due_at=now + timedelta(days=remind_days),
                ref_type=REF_TYPE,
                ref_id=card.id,
                payload={"text": "report.offline_remind", "params": params, "buttons": buttons},
                expires_at=expires,
                key=reminder_key(card.id, provider.id, month),
            )
    log.info("offline recipients: asked about %s for %s cards", month, queued)
    return queued


async def answer(
    session: AsyncSession, provider: User, card_id: int, month: date, count: int | None, now: datetime
) -> str:
    """Record a provider's answer: "saved", "staff" (a staff correction stands) or "not_yours"."""
    if count is not None and not 0 <= count <= MAX_COUNT:
        raise ValueError("count out of range")
    async with write(session):
        card = await session.get(ServiceCard, card_id)
        if card is None or card.provider_id != provider.id:
            return "not_yours"
        row = await session.scalar(
            select(OfflineRecipients).where(
                OfflineRecipients.card_id == card_id, OfflineRecipients.month == month
            )
        )
        await notifications.cancel(session, key=reminder_key(card_id, provider.id, month))
        if row is not None and row.source == "staff":
            return "staff"
        if row is None:
            row = OfflineRecipients(card_id=card_id, provider_id=provider.id, month=month)
            session.add(row)
        row.count, row.source, row.answered_at = count, "provider", now
    return "saved"


async def correct(
    session: AsyncSession, staff_tg_id: int, card_id: int, month: date, count: int | None, now: datetime
) -> ServiceCard | None:
    """Staff set the number for a card and month (None: unknown); audited. None if no such card."""
    async with write(session):
        card = await session.get(ServiceCard, card_id)
        if card is None:
            return None
        row = await session.scalar(
            select(OfflineRecipients).where(
                OfflineRecipients.card_id == card_id, OfflineRecipients.month == month
            )
        )
        before = None if row is None else row.count
        if row is None:
            row = OfflineRecipients(card_id=card_id, provider_id=card.provider_id, month=month)
            session.add(row)
        row.count, row.source, row.corrected_by, row.answered_at = count, "staff", staff_tg_id, now
        audit.record(
            session, staff_tg_id, "report.offline_fix", REF_TYPE, card_id, month=month.isoformat(), before=before,
            after=count,
        )  # fmt: skip
    return card


async def month_answers(
    session: AsyncSession, month: date
) -> list[tuple[ServiceCard, OfflineRecipients | None]]:
    """Published cards and the answer for the month (or None), plus answered cards no longer published."""
    rows = await session.execute(
        select(ServiceCard, OfflineRecipients)
        .outerjoin(
            OfflineRecipients,
            (OfflineRecipients.card_id == ServiceCard.id) & (OfflineRecipients.month == month),
        )
        .where((ServiceCard.status == CardStatus.PUBLISHED) | OfflineRecipients.id.is_not(None))
        .order_by(ServiceCard.id)
        .limit(40)
    )
    return [(card, answer_row) for card, answer_row in rows.all()]


async def export_person(session: AsyncSession, user: User) -> tuple[str, Any]:
    rows = await session.scalars(
        select(OfflineRecipients)
        .where(OfflineRecipients.provider_id == user.id)
        .order_by(OfflineRecipients.month)
    )
    return "offline_recipients", [
        {"card_id": r.card_id, "month": r.month.isoformat(), "count": r.count, "source": r.source}
        for r in rows
    ]

"""Producing and sending the reach report: the summary, the sections, the XLSX workbook and the charts.
Every export is written to the audit log first. The monthly post (REPORT_MONTHLY_POST) sends last
month's report to the admin chat on the 1st (bot.scheduler runs it)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from aiogram import Bot
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.engine import Database, write
from services import audit
from services import report as rep
from services import report_export as export

log = logging.getLogger(__name__)
SYSTEM_ACTOR = 0


async def produce(session: AsyncSession, settings: Any, period: rep.Period, actor: int, now: datetime) -> Any:
    """Compute the report and record the export in the audit log (before anything is sent)."""
    report = await rep.build(session, period, now, settings.report_targets)
    async with write(session):
        audit.record(
            session,
            actor,
            "report.export",
            "report",
            None,
            period=period.code,
            first=period.first.isoformat(),
            last=period.last.isoformat(),
        )
    return report


async def deliver(bot: Bot, chat_id: int, report: Any, thread_id: int | None = None) -> None:
    """Send the summary, the sections, the workbook and the charts (texts in the current locale)."""
    extra: dict[str, Any] = {"message_thread_id": thread_id} if thread_id else {}
    await bot.send_message(chat_id, export.summary_text(report, _), **extra)
    for text in export.section_texts(report, _):
        await bot.send_message(chat_id, text, **extra)
    name = f"report-{report.period.first:%Y%m%d}-{report.period.last:%Y%m%d}.xlsx"
    # Building the workbook and drawing the charts take CPU seconds on a big year: in a worker thread,
    # so the bot keeps answering everyone else meanwhile (the locale context goes with it).
    book = await asyncio.to_thread(export.workbook, report, _)
    pngs = await asyncio.to_thread(export.charts, report, _)
    await bot.send_document(
        chat_id,
        BufferedInputFile(book, filename=name),
        caption=_("report.xlsx_caption").format(period=export.period_title(report)),
        **extra,
    )
    for filename, png in pngs:
        await bot.send_photo(chat_id, BufferedInputFile(png, filename=filename), **extra)


async def run(
    message: Message, session: AsyncSession, settings: Any, bot: Bot, period: rep.Period, actor: int
) -> None:
    await message.answer(
        _("report.working").format(period=f"{period.first:%d.%m.%Y} – {period.last:%d.%m.%Y}")
    )
    report = await produce(session, settings, period, actor, utcnow())
    thread_id = message.message_thread_id if message.is_topic_message else None
    await deliver(bot, message.chat.id, report, thread_id)


async def post_monthly(
    bot: Bot, db: Database, i18n: I18n, settings: Any, now: datetime | None = None
) -> bool:
    """The scheduler's job on the 1st: last month's report to the admin chat, if REPORT_MONTHLY_POST."""
    if not settings.report_monthly_post or settings.admin_chat_id is None:
        return False
    now = now or utcnow()
    period = rep.period_for("last_month", now, settings.tz)
    try:
        async with db.session() as session:
            report = await produce(session, settings, period, SYSTEM_ACTOR, now)
        with i18n.context(), i18n.use_locale(i18n.default_locale):
            await bot.send_message(settings.admin_chat_id, _("report.monthly_intro"))
            await deliver(bot, settings.admin_chat_id, report)
    except Exception:
        log.exception("monthly report failed")
        return False
    return True

"""/report (and the «Отчёт для грантодателя» button): choose a period, receive the summary, the
sections, the XLSX workbook and the charts. Every export is written to the audit log. The monthly
post (REPORT_MONTHLY_POST) sends last month's report to the admin chat on the 1st."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import date, datetime
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.engine import Database, write
from handlers.common import target
from keyboards.admin import AdminCb
from services import audit
from services import report as rep
from services import report_export as export

log = logging.getLogger(__name__)
DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
SYSTEM_ACTOR = 0


class ReportCb(CallbackData, prefix="rpt"):
    p: str


class ReportForm(StatesGroup):
    dates = State()


def period_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code in (*rep.PERIODS, "custom"):
        builder.button(text=_(f"report.p_{code}"), callback_data=ReportCb(p=code))
    builder.button(text=_("report.btn_cancel"), callback_data=ReportCb(p="cancel"))
    builder.adjust(2)
    return builder.as_markup()


def parse_dates(text: str) -> tuple[date, date] | None:
    """Two dates typed as ДД.ММ.ГГГГ (in any order, any separator); None if not exactly two valid ones."""
    found = DATE.findall(text or "")
    if len(found) != 2:
        return None
    try:
        days = sorted(date(int(y), int(m), int(d)) for d, m, y in found)
    except ValueError:
        return None
    if days[0].year < 2000 or days[1].year > 2100:
        return None
    return days[0], days[1]


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
    await deliver(
        bot, message.chat.id, report, message.message_thread_id if message.is_topic_message else None
    )


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


def create_router() -> Router:
    router = Router(name="admin-report")

    async def ask_period(message: Message, state: FSMContext) -> None:
        await state.clear()
        await message.answer(_("report.choose_period"), reply_markup=period_keyboard())

    @router.message(Command("report"))
    async def cmd_report(message: Message, state: FSMContext) -> None:
        await ask_period(message, state)

    @router.callback_query(AdminCb.filter(F.action == "report"))
    async def btn_report(callback: CallbackQuery, state: FSMContext) -> None:
        await callback.answer()
        await ask_period(target(callback), state)

    @router.callback_query(ReportCb.filter())
    async def chosen(
        callback: CallbackQuery,
        callback_data: ReportCb,
        state: FSMContext,
        session: AsyncSession,
        settings: Any,
        bot: Bot,
    ) -> None:
        message = target(callback)
        code = callback_data.p
        if code == "cancel":
            await state.clear()
            await callback.answer(_("report.cancelled"))
            await message.edit_reply_markup(reply_markup=None)
            return
        if code == "custom":
            await callback.answer()
            await state.set_state(ReportForm.dates)
            await message.answer(_("report.ask_dates"))
            return
        if code not in rep.PERIODS:
            await callback.answer()
            return
        await callback.answer()
        await state.clear()
        since = await rep.first_day(session, settings.tz)
        period = rep.period_for(code, utcnow(), settings.tz, since)
        await run(message, session, settings, bot, period, callback.from_user.id)

    @router.message(StateFilter(ReportForm.dates), F.text)
    async def dates(
        message: Message, state: FSMContext, session: AsyncSession, settings: Any, bot: Bot
    ) -> None:
        parsed = parse_dates(message.text or "")
        if parsed is None:
            await message.answer(_("report.bad_dates"))
            return
        await state.clear()
        period = rep.make_period(parsed[0], parsed[1], settings.tz)
        assert message.from_user is not None
        await run(message, session, settings, bot, period, message.from_user.id)

    return router

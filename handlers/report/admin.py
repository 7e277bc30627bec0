"""/report (and the «Отчёт для грантодателя» button): choose a period, receive the report
(delivery.py). /offline_fix <card> <ММ.ГГГГ> <number or ?>: staff correct a provider's answer about
offline recipients; without arguments, last month's answers."""

from __future__ import annotations

import html
import re
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from handlers.common import acknowledge, target
from handlers.report.delivery import run
from handlers.report.views import offline_overview, parse_dates
from keyboards.admin import AdminAction, AdminCb
from keyboards.report import ReportCb, ReportChoice, period_keyboard
from services import report as rep
from services import report_offline as offline

FIX_ARGS = re.compile(r"^\s*(\d{1,9})\s+(\d{1,2})\.(\d{4})\s+(\d{1,5}|\?)\s*$")


class ReportForm(StatesGroup):
    dates = State()


async def ask_period(event: Message | CallbackQuery, state: FSMContext) -> None:
    """/report and the staff menu's button."""
    await acknowledge(event)
    await state.clear()
    await target(event).answer(_("report.choose_period"), reply_markup=period_keyboard())


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
    if code == ReportChoice.CANCEL:
        await state.clear()
        await callback.answer(_("report.cancelled"))
        await message.edit_reply_markup(reply_markup=None)
        return
    await callback.answer()
    if code == ReportChoice.CUSTOM:
        await state.set_state(ReportForm.dates)
        await message.answer(_("report.ask_dates"))
        return
    if code not in rep.PERIODS:
        return
    await state.clear()
    since = await rep.first_day(session, settings.tz)
    period = rep.period_for(code, utcnow(), settings.tz, since)
    await run(message, session, settings, bot, period, callback.from_user.id)


async def dates(message: Message, state: FSMContext, session: AsyncSession, settings: Any, bot: Bot) -> None:
    parsed = parse_dates(message.text or "")
    if parsed is None:
        await message.answer(_("report.bad_dates"))
        return
    await state.clear()
    period = rep.make_period(parsed[0], parsed[1], settings.tz)
    assert message.from_user is not None
    await run(message, session, settings, bot, period, message.from_user.id)


async def offline_fix(message: Message, command: CommandObject, session: AsyncSession, settings: Any) -> None:
    now = utcnow()
    match = FIX_ARGS.match(command.args or "")
    if match is None:
        await message.answer(await offline_overview(session, offline.previous_month(now, settings.tz)))
        return
    card_id, number, year, raw = match.groups()
    month = offline.month_of(int(year) * 100 + int(number), now, settings.tz)
    if month is None:
        await message.answer(_("report.offline_bad_month"))
        return
    count = None if raw == "?" else int(raw)
    assert message.from_user is not None
    card = await offline.correct(session, message.from_user.id, int(card_id), month, count, now)
    if card is None:
        await message.answer(_("report.offline_no_card"))
        return
    await message.answer(
        _("report.offline_fixed").format(
            title=html.escape(card.title), month=f"{month:%m.%Y}", count="?" if count is None else count
        )
    )


def create_router() -> Router:
    router = Router(name="admin-report")
    router.message.register(ask_period, Command("report"))
    router.callback_query.register(ask_period, AdminCb.filter(F.action == AdminAction.REPORT))
    router.callback_query.register(chosen, ReportCb.filter())
    router.message.register(dates, StateFilter(ReportForm.dates), F.text)
    return router


def create_offline_router() -> Router:
    router = Router(name="admin-report-offline")
    router.message.register(offline_fix, Command("offline_fix"))
    return router

"""The end of the broadcast dialog when staff schedule it: a day (a button or typed), a time (a button
or typed), then the broadcast is created to start then (moved out of the quiet hours)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from db.base import utcnow
from handlers.broadcasts.views import BroadcastForm, alert, quiet_window, show
from handlers.common import error_text
from keyboards import broadcasts as kb
from keyboards.broadcasts import BcAction, BcCb
from services import broadcasts as service
from services.errors import DomainError

_DATE = re.compile(r"^\s*(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?(?:[\s,]+(\d{1,2})[:.\s](\d{2}))?\s*$")
_TIME = re.compile(r"^\s*(\d{1,2})[:.\s](\d{2})\s*$")


def parse_day(text: str, today: date) -> tuple[date, dtime | None] | None:
    match = _DATE.match(text or "")
    if match is None:
        return None
    day_s, month_s, year_s, hour_s, minute_s = match.groups()
    year = int(year_s) if year_s else today.year
    if year < 100:
        year += 2000
    try:
        day = date(year, int(month_s), int(day_s))
        at = dtime(int(hour_s), int(minute_s)) if hour_s is not None else None
    except ValueError:
        return None
    if not year_s and day < today:
        day = day.replace(year=today.year + 1)
    return day, at


def parse_time(text: str) -> dtime | None:
    match = _TIME.match(text or "")
    if match is None:
        return None
    try:
        return dtime(int(match.group(1)), int(match.group(2)))
    except ValueError:
        return None


def _today(settings: Settings) -> date:
    return utcnow().astimezone(settings.tz).date()


async def ask_day(event: Message | CallbackQuery, state: FSMContext, settings: Settings) -> None:
    await state.set_state(BroadcastForm.day)
    markup = kb.days_keyboard(_today(settings))
    await show(event, _("broadcast.ask_day").format(tz=settings.timezone), markup)


async def ask_time(event: Message | CallbackQuery, state: FSMContext, settings: Settings, day: date) -> None:
    await state.set_state(BroadcastForm.time)
    await state.update_data(day=day.isoformat())
    now = utcnow().astimezone(settings.tz)
    times = [t for t in kb.QUICK_TIMES if day > now.date() or t > now.strftime("%H:%M")]
    start, end = quiet_window(settings)
    text = _("broadcast.ask_time").format(day=f"{day:%d.%m}", start=start, end=end)
    await show(event, text, kb.times_keyboard(times))


async def schedule(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    day: date,
    at: dtime,
) -> None:
    tz = settings.tz
    wanted = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
    start_at = service.after_quiet_hours(wanted, settings.quiet_hours_start, settings.quiet_hours_end, tz)
    data = await state.get_data()
    staff_id = event.from_user.id if event.from_user else 0
    try:
        count = await service.count_audience(session, data.get("aud", {}))
        row = await service.create(
            session,
            staff_tg_id=staff_id,
            source_chat_id=data["chat"],
            source_message_id=data["msg"],
            content_kind=data["kind"],
            excerpt=data["excerpt"],
            audience=data.get("aud", {}),
            start_at=start_at,
        )
    except DomainError as exc:
        if isinstance(event, CallbackQuery):
            await alert(event, error_text(exc))
        else:
            await event.answer(error_text(exc))
        return
    await state.clear()
    when = kb.local(row.start_at, tz)
    text = _("broadcast.scheduled").format(id=row.id, when=when, count=count)
    if start_at != wanted:
        start, end = quiet_window(settings)
        text += "\n" + _("broadcast.quiet_shifted").format(start=start, end=end, when=when)
    await show(event, text, kb.control_keyboard(row.id, row.status))


# --- handlers ---------------------------------------------------------------------------------------


async def btn_day(
    callback: CallbackQuery, callback_data: BcCb, state: FSMContext, settings: Settings
) -> None:
    today = _today(settings)
    try:
        day = date.fromisoformat(callback_data.v)
    except ValueError:
        day = None
    if day is None or not today <= day <= today + timedelta(days=service.SCHEDULE_MAX_DAYS):
        await alert(callback, _("broadcast.bad_day"))
        return
    await ask_time(callback, state, settings, day)


async def typed_day(message: Message, state: FSMContext, session: AsyncSession, settings: Settings) -> None:
    today = _today(settings)
    parsed = parse_day(message.text or "", today)
    if parsed is None:
        await message.answer(_("broadcast.bad_day"), reply_markup=kb.days_keyboard(today))
        return
    day, at = parsed
    if day > today + timedelta(days=service.SCHEDULE_MAX_DAYS):
        await message.answer(_("broadcast.time_far").format(days=service.SCHEDULE_MAX_DAYS))
        return
    if at is None:
        await ask_time(message, state, settings, day)
        return
    await schedule(message, state, session, settings, day, at)


async def btn_time(
    callback: CallbackQuery, callback_data: BcCb, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    value = callback_data.v
    at = parse_time(f"{value[:2]}:{value[2:]}") if len(value) == 4 else None
    data = await state.get_data()
    if at is None or "day" not in data:
        await alert(callback, _("broadcast.bad_time"))
        return
    await schedule(callback, state, session, settings, date.fromisoformat(data["day"]), at)


async def typed_time(message: Message, state: FSMContext, session: AsyncSession, settings: Settings) -> None:
    at = parse_time(message.text or "")
    data = await state.get_data()
    if at is None or "day" not in data:
        await message.answer(_("broadcast.bad_time"))
        return
    await schedule(message, state, session, settings, date.fromisoformat(data["day"]), at)


def register(router: Router) -> None:
    button = router.callback_query.register
    button(btn_day, BcCb.filter(F.action == BcAction.DAY), StateFilter(BroadcastForm.day))
    router.message.register(typed_day, StateFilter(BroadcastForm.day))
    button(btn_time, BcCb.filter(F.action == BcAction.TIME), StateFilter(BroadcastForm.time))
    router.message.register(typed_time, StateFilter(BroadcastForm.time))

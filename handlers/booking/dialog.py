"""/book: resource → day (calendar) → start → duration → purpose → confirmation. Every answer from a
button is checked again on the server; a step that no longer fits shows the step before it."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, StateFilter
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from db.models import Booking, BookingStatus, Resource, User
from handlers.booking.prompts import BACK, Turn, durations, go, render, resource_of, start_booking, start_of
from handlers.booking.states import Book
from handlers.booking.views import err, request_keyboard, send_confirmation, staff_card, summary
from keyboards import booking as kb
from keyboards.booking import BookCb, BookStep
from keyboards.common import NavCb, require_id
from keyboards.menu import MenuCb
from services import booking as svc
from services.errors import DomainError

log = logging.getLogger(__name__)


async def notify_staff_request(
    bot: Bot, settings: Any, booking: Booking, resource: Resource, user: User
) -> None:
    """A pending request: a card with «Подтвердить» / «Отклонить» in the admin chat."""
    if settings.admin_chat_id is None:
        return
    try:
        await bot.send_message(
            settings.admin_chat_id,
            _("booking.adm_new_request") + "\n\n" + staff_card(booking, resource, user, settings),
            reply_markup=request_keyboard(booking),
        )
    except TelegramAPIError:
        log.warning("could not post booking request %s to the admin chat", booking.id, exc_info=True)


# --- the handlers ----------------------------------------------------------------------------------------


async def cmd_book(message: Message, **data: Any) -> None:
    await start_booking(Turn.of(message, data))


async def restart(callback: CallbackQuery, **data: Any) -> None:
    """«Забронировать» in the main menu or under /my bookings."""
    await callback.answer()
    await start_booking(Turn.of(callback, data))


async def noop(callback: CallbackQuery) -> None:
    await callback.answer()


async def pick_resource(callback: CallbackQuery, callback_data: BookCb, **data: Any) -> None:
    await callback.answer()
    turn = Turn.of(callback, data)
    try:
        resource = await svc.get_resource(turn.session, require_id(callback_data.v))
    except (DomainError, ValueError):
        await render(turn, note=_("booking.err_resource_gone"))
        return
    await turn.state.update_data(rid=resource.id, month=None)
    await go(turn, Book.day)


async def flip_month(callback: CallbackQuery, callback_data: BookCb, **data: Any) -> None:
    await callback.answer()
    turn = Turn.of(callback, data)
    try:
        resource = await resource_of(turn)
        year, month = int(callback_data.v[:4]), int(callback_data.v[4:])
        date(year, month, 1)
    except (DomainError, ValueError):
        await go(turn, Book.resource)
        return
    await turn.state.update_data(month=callback_data.v)
    tz = turn.settings.tz
    days = await svc.bookable_days(turn.session, resource, tz=tz, user_id=turn.user.id)
    first, last = svc.window(resource, svc.utcnow(), tz)
    markup = kb.calendar_keyboard(year, month, set(days), first, last)
    try:
        await turn.message.edit_reply_markup(reply_markup=markup)
    except TelegramAPIError:
        await render(turn)


async def pick_day(callback: CallbackQuery, callback_data: BookCb, **data: Any) -> None:
    await callback.answer()
    turn = Turn.of(callback, data)
    try:
        resource = await resource_of(turn)
        day = kb.parse_day(callback_data.v)
    except (DomainError, ValueError):
        await go(turn, Book.resource)
        return
    if day not in await svc.bookable_days(turn.session, resource, tz=turn.settings.tz, user_id=turn.user.id):
        await render(turn, note=_("booking.day_gone"))
        return
    await turn.state.update_data(day=day.isoformat())
    await go(turn, Book.time)


async def pick_time(callback: CallbackQuery, callback_data: BookCb, **data: Any) -> None:
    await callback.answer()
    turn = Turn.of(callback, data)
    draft = await turn.state.get_data()
    try:
        resource = await resource_of(turn)
        start = datetime.fromtimestamp(require_id(callback_data.v) * 60, tz=UTC)
    except (DomainError, ValueError, OverflowError, OSError):
        await go(turn, Book.resource)
        return
    day = date.fromisoformat(draft["day"])
    slots = await svc.slots_of_day(turn.session, resource, day, tz=turn.settings.tz, user_id=turn.user.id)
    if start not in {s.start for s in svc.start_options(resource, slots)}:
        await render(turn, note=_("booking.err_taken"))
        return
    await turn.state.update_data(start=int(callback_data.v))
    await go(turn, Book.duration)


async def pick_duration(callback: CallbackQuery, callback_data: BookCb, **data: Any) -> None:
    await callback.answer()
    turn = Turn.of(callback, data)
    draft = await turn.state.get_data()
    try:
        resource = await resource_of(turn)
        minutes = require_id(callback_data.v)
    except (DomainError, ValueError):
        await go(turn, Book.resource)
        return
    options, _quota = await durations(turn, resource, date.fromisoformat(draft["day"]), start_of(draft))
    if minutes not in options:
        await render(turn, note=_("booking.duration_gone"))
        return
    await turn.state.update_data(minutes=minutes)
    await go(turn, Book.purpose)


async def skip_purpose(callback: CallbackQuery, **data: Any) -> None:
    await callback.answer()
    turn = Turn.of(callback, data)
    await turn.state.update_data(purpose=None)
    await go(turn, Book.confirm)


async def type_purpose(message: Message, **data: Any) -> None:
    turn = Turn.of(message, data)
    try:
        purpose = svc.clean_purpose(message.text)
    except DomainError as error:
        await message.answer(err(error), reply_markup=kb.purpose_keyboard())
        return
    await turn.state.update_data(purpose=purpose)
    await go(turn, Book.confirm)


async def purpose_not_text(message: Message) -> None:
    await message.answer(_("booking.purpose_text_only"), reply_markup=kb.purpose_keyboard())


async def confirm(callback: CallbackQuery, bot: Bot, **data: Any) -> None:
    turn = Turn.of(callback, data)
    draft, user, settings = await turn.state.get_data(), turn.user, turn.settings
    try:
        booking = await svc.create_booking(
            turn.session,
            resource_id=int(draft["rid"]),
            user=user,
            start=start_of(draft),
            minutes=int(draft["minutes"]),
            purpose=draft.get("purpose"),
            tz=settings.tz,
            pending_limit=settings.approval_pending_limit,
        )
    except DomainError as error:
        await turn.session.refresh(user)  # the failed write rolled back and expired it
        await callback.answer()
        if isinstance(error, svc.SlotTaken):
            await go(turn, Book.time, note=err(error))
        else:
            await turn.message.answer(err(error), reply_markup=kb.confirm_keyboard(False))
        return
    await turn.state.clear()
    await callback.answer()
    resource = await svc.get_resource(turn.session, booking.resource_id, active_only=False)
    if booking.status != BookingStatus.PENDING:
        await send_confirmation(bot, turn.message.chat.id, booking, resource, user, settings)
        return
    await turn.message.answer(
        _("booking.requested") + "\n\n" + summary(booking, resource, user, settings),
        reply_markup=kb.booking_keyboard(booking.id),
    )
    await notify_staff_request(bot, settings, booking, resource, user)


async def back(callback: CallbackQuery, **data: Any) -> None:
    await callback.answer()
    turn = Turn.of(callback, data)
    previous = BACK.get(await turn.state.get_state() or "")
    if previous is None:
        await start_booking(turn)
        return
    await go(turn, previous)


async def use_buttons(message: Message, **data: Any) -> None:
    await render(Turn.of(message, data), note=_("booking.use_buttons"))


def register(router: Router) -> None:
    """The dialog's handlers, in the order they are tried."""
    in_dialog = StateFilter(*Book.__all_states__)
    step = BookCb.filter
    router.message.register(cmd_book, Command("book"))
    router.callback_query.register(restart, MenuCb.filter(F.action == "book"))
    router.callback_query.register(restart, step(F.a == BookStep.START))
    router.callback_query.register(noop, step(F.a == BookStep.NOOP))
    router.callback_query.register(pick_resource, Book.resource, step(F.a == BookStep.RESOURCE))
    router.callback_query.register(flip_month, Book.day, step(F.a == BookStep.MONTH))
    router.callback_query.register(pick_day, Book.day, step(F.a == BookStep.DAY))
    router.callback_query.register(pick_time, Book.time, step(F.a == BookStep.TIME))
    router.callback_query.register(pick_duration, Book.duration, step(F.a == BookStep.DURATION))
    router.callback_query.register(skip_purpose, Book.purpose, step(F.a == BookStep.SKIP))
    router.message.register(type_purpose, Book.purpose, F.text, ~F.text.startswith("/"))
    router.message.register(purpose_not_text, Book.purpose, ~F.text.startswith("/"))
    router.callback_query.register(confirm, Book.confirm, step(F.a == BookStep.OK))
    router.callback_query.register(back, in_dialog, NavCb.filter(F.action == "back"))
    router.message.register(use_buttons, in_dialog, ~F.text.startswith("/"))

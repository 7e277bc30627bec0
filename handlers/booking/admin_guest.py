"""Staff book on behalf of a resident without Telegram: «Гость» under a day's schedule → a start → a
length → the guest's name → phone. The times offered are the staff's (no notice, no quota)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.booking.states import StaffBook
from handlers.booking.views import card_keyboard, err, fmt_day, refuse_input, staff_card
from handlers.common import target
from keyboards import booking as kb
from keyboards.booking import Staff, StaffBk
from keyboards.common import require_id
from services import booking as svc
from services.errors import DomainError


async def guest_times(
    callback: CallbackQuery, callback_data: StaffBk, state: FSMContext, session: AsyncSession, settings: Any
) -> None:
    try:
        resource = await svc.get_resource(session, callback_data.id)
        day = kb.parse_day(callback_data.v)
    except (DomainError, ValueError):
        await callback.answer(_("common.stale_button"), show_alert=True)
        return
    await callback.answer()
    await state.set_state(StaffBook.guest_pick)
    slots = await svc.slots_of_day(session, resource, day, tz=settings.tz, staff=True)
    options = svc.start_options(resource, slots)
    if not options:
        await target(callback).answer(_("booking.adm_guest_no_times").format(day=fmt_day(day)))
        return
    several = resource.capacity > 1
    items = [
        (
            s.start.astimezone(settings.tz).strftime("%H:%M") + (f" · {s.left}" if several else ""),
            str(int(s.start.timestamp()) // 60),
        )
        for s in options
    ]
    await target(callback).answer(
        _("booking.adm_guest_time").format(resource=hd.quote(resource.name), day=fmt_day(day)),
        reply_markup=kb.staff_choices(items, Staff.GUEST_TIME, resource.id, width=3 if several else 4),
    )


async def guest_durations(
    callback: CallbackQuery, callback_data: StaffBk, state: FSMContext, session: AsyncSession, settings: Any
) -> None:
    try:
        resource = await svc.get_resource(session, callback_data.id)
        start = datetime.fromtimestamp(require_id(callback_data.v) * 60, tz=UTC)
    except (DomainError, ValueError, OverflowError, OSError):
        await callback.answer(_("common.stale_button"), show_alert=True)
        return
    day = start.astimezone(settings.tz).date()
    slots = await svc.slots_of_day(session, resource, day, tz=settings.tz, staff=True)
    options = svc.duration_options(resource, slots, start)
    if not options:
        await callback.answer(_("booking.err_taken"), show_alert=True)
        return
    await callback.answer()
    await state.set_state(StaffBook.guest_pick)
    items = [(kb.minutes_label(m), f"{callback_data.v}-{m}") for m in options]
    await target(callback).answer(
        _("booking.adm_guest_duration").format(time=start.astimezone(settings.tz).strftime("%H:%M")),
        reply_markup=kb.staff_choices(items, Staff.GUEST_LENGTH, resource.id, width=3),
    )


async def guest_ask_name(
    callback: CallbackQuery, callback_data: StaffBk, state: FSMContext, session: AsyncSession
) -> None:
    try:
        start, minutes = (require_id(part) for part in callback_data.v.split("-"))
        await svc.get_resource(session, callback_data.id)
    except (DomainError, ValueError):
        await callback.answer(_("common.stale_button"), show_alert=True)
        return
    await callback.answer()
    await state.set_state(StaffBook.guest_name)
    await state.update_data(rid=callback_data.id, start=start, minutes=minutes)
    await target(callback).answer(_("booking.adm_guest_name"), reply_markup=kb.staff_nav())


async def guest_name(message: Message, state: FSMContext) -> None:
    try:
        name = svc.clean_guest_name(message.text)
    except DomainError as error:
        await message.answer(err(error), reply_markup=kb.staff_nav())
        return
    await state.update_data(name=name)
    await state.set_state(StaffBook.guest_phone)
    await message.answer(
        _("booking.adm_guest_phone").format(name=hd.quote(name)), reply_markup=kb.staff_nav()
    )


async def guest_phone(message: Message, state: FSMContext, session: AsyncSession, settings: Any) -> None:
    data = await state.get_data()
    assert message.from_user is not None
    try:
        booking = await svc.create_guest_booking(
            session,
            resource_id=int(data["rid"]),
            staff_tg_id=message.from_user.id,
            guest_name=data["name"],
            guest_phone=message.text or "",
            start=datetime.fromtimestamp(int(data["start"]) * 60, tz=UTC),
            minutes=int(data["minutes"]),
            tz=settings.tz,
        )
    except DomainError as error:
        await refuse_input(message, state, error)
        return
    await state.clear()
    booking, resource, user = await svc.get_booking(session, booking.id)
    await message.answer(
        _("booking.adm_guest_done") + "\n\n" + staff_card(booking, resource, user, settings),
        reply_markup=card_keyboard(booking),
    )


def register(router: Router) -> None:
    act = StaffBk.filter
    typed = (F.text, ~F.text.startswith("/"))
    router.callback_query.register(guest_times, act(F.a == Staff.GUEST))
    router.callback_query.register(guest_durations, act(F.a == Staff.GUEST_TIME))
    router.callback_query.register(guest_ask_name, act(F.a == Staff.GUEST_LENGTH))
    router.message.register(guest_name, StaffBook.guest_name, *typed)
    router.message.register(guest_phone, StaffBook.guest_phone, *typed)

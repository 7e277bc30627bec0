"""Staff's booking menu (admin chat): /bookings and the menu's «Бронирования», the resources and a day's
schedule of one, pending requests, the 30-day figures, and a booking's card opened from a list (the
decisions on it are in admin_decisions). Last of the staff side: the housekeeping of its typed inputs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.booking.parsing import parse_staff_date
from handlers.booking.states import StaffBook
from handlers.booking.views import (
    alerted,
    card_keyboard,
    err,
    fmt_day,
    fmt_days,
    num,
    request_keyboard,
    staff_card,
    status_text,
)
from handlers.common import screen_anew, target
from keyboards import booking as kb
from keyboards.admin import AdminAction, AdminCb
from keyboards.booking import Staff, StaffBk
from keyboards.common import NavCb
from services import booking as svc
from services.errors import DomainError

# --- schedules --------------------------------------------------------------------------------------


async def show_resources(
    message: Message, session: AsyncSession, settings: Any, day: date | None = None
) -> None:
    day = day or svc.local_today(svc.utcnow(), settings.tz)
    items = await svc.resources(session)
    await message.answer(
        _("booking.adm_pick_resource").format(day=fmt_day(day)),
        reply_markup=kb.staff_resources_keyboard([(r.id, r.name) for r in items], day),
    )


async def show_schedule(
    message: Message, session: AsyncSession, settings: Any, resource_id: int, day: date
) -> None:
    plan = await svc.schedule(session, resource_id, day, tz=settings.tz)
    resource, tz = plan.resource, settings.tz
    lines = [_("booking.adm_schedule_title").format(resource=hd.quote(resource.name), day=fmt_day(day))]
    if not plan.slots:
        lines.append(_("booking.adm_closed"))
    elif resource.capacity > 1:
        lines += [
            _("booking.adm_slot_line").format(
                time=start.astimezone(tz).strftime("%H:%M"), taken=taken, capacity=resource.capacity
            )
            for start, taken in plan.slots
        ]
    lines += ["", _("booking.adm_bookings")] if plan.bookings else [_("booking.adm_no_bookings")]
    buttons = []
    for booking, user in plan.bookings:
        start, end = booking.start_at.astimezone(tz), booking.end_at.astimezone(tz)
        span = (
            f"{start:%H:%M}–{end:%H:%M}" if start.date() == end.date() else fmt_days(start.date(), end.date())
        )
        name = booking.guest_name if booking.user_id is None else (user.full_name if user else "?")
        lines.append(
            _("booking.adm_booking_line").format(
                id=num(booking.id),
                span=span,
                who=hd.quote(name or "?"),
                guest=_("booking.adm_no_tg_mark") if booking.user_id is None else "",
                status=status_text(booking),
            )
        )
        buttons.append((booking.id, f"{num(booking.id)} {span} {name or '?'}"[:60]))
    markup = kb.schedule_keyboard(resource.id, day, buttons, day - timedelta(days=1), day + timedelta(days=1))
    await message.answer("\n".join(lines), reply_markup=markup)


async def cmd_bookings(
    message: Message, command: CommandObject, state: FSMContext, session: AsyncSession, settings: Any
) -> None:
    await state.clear()
    day = None
    if command.args:
        try:
            day = parse_staff_date(command.args, svc.local_today(svc.utcnow(), settings.tz))
        except DomainError as error:
            await message.answer(err(error))
            return
    await show_resources(message, session, settings, day)


async def menu_bookings(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, settings: Any
) -> None:
    await show_resources(await screen_anew(callback, state), session, settings)


async def list_resources(callback: CallbackQuery, session: AsyncSession, settings: Any) -> None:
    await callback.answer()
    await show_resources(target(callback), session, settings)


async def day_schedule(
    callback: CallbackQuery, callback_data: StaffBk, session: AsyncSession, settings: Any
) -> None:
    try:
        day = kb.parse_day(callback_data.v) if callback_data.v else svc.local_today(svc.utcnow(), settings.tz)
        await callback.answer()
        await show_schedule(target(callback), session, settings, callback_data.id, day)
    except ValueError:
        await callback.answer(_("common.stale_button"), show_alert=True)
    except DomainError as error:
        await callback.answer(err(error), show_alert=True)


async def pending(callback: CallbackQuery, session: AsyncSession, settings: Any) -> None:
    await callback.answer()
    rows = await svc.pending_requests(session)
    if not rows:
        await target(callback).answer(_("booking.adm_no_pending"))
        return
    for booking, resource, user in rows[:10]:
        await target(callback).answer(
            staff_card(booking, resource, user, settings), reply_markup=request_keyboard(booking)
        )


async def figures(callback: CallbackQuery, session: AsyncSession, settings: Any) -> None:
    """For reports to funders: the last 30 days per resource."""
    await callback.answer()
    today = svc.local_today(svc.utcnow(), settings.tz)
    first = today - timedelta(days=29)
    since = datetime.combine(first, datetime.min.time(), tzinfo=settings.tz).astimezone(UTC)
    until = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=settings.tz).astimezone(
        UTC
    )
    data = await svc.figures(session, since, until)
    names = {r.code: r.name for r in await svc.resources(session, include_inactive=True)}
    lines = [_("booking.adm_figures_title").format(start=f"{first:%d.%m}", end=f"{today:%d.%m.%Y}")]
    if not data:
        lines.append(_("booking.adm_figures_none"))
    for code, row in sorted(data.items()):
        lines.append(_("booking.adm_figures_line").format(resource=hd.quote(names.get(code, code)), **row))
    await target(callback).answer("\n".join(lines))


async def open_booking(
    callback: CallbackQuery, callback_data: StaffBk, session: AsyncSession, settings: Any
) -> None:
    if (found := await alerted(callback, svc.get_booking(session, callback_data.id))) is None:
        return
    booking, resource, user = found
    await callback.answer()
    await target(callback).answer(
        staff_card(booking, resource, user, settings), reply_markup=card_keyboard(booking)
    )


# --- dialog housekeeping -----------------------------------------------------------------------------


async def buttons_only(message: Message) -> None:
    await message.answer(_("booking.use_buttons"), reply_markup=kb.staff_nav())


async def text_only(message: Message) -> None:
    await message.answer(_("booking.adm_text_only"), reply_markup=kb.staff_nav())


async def staff_cancel(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await callback.answer()
    await target(callback).answer(_("common.cancelled"))


def register(router: Router) -> None:
    """First of the staff handlers: the menu, the lists and opening a card."""
    act = StaffBk.filter
    router.message.register(cmd_bookings, Command("bookings", "staff_bookings"))
    router.callback_query.register(menu_bookings, AdminCb.filter(F.action == AdminAction.BOOKINGS))
    router.callback_query.register(list_resources, act(F.a == Staff.LIST))
    router.callback_query.register(day_schedule, act(F.a == Staff.DAY))
    router.callback_query.register(pending, act(F.a == Staff.PENDING))
    router.callback_query.register(figures, act(F.a == Staff.FIGURES))
    router.callback_query.register(open_booking, act(F.a == Staff.OPEN))


def register_housekeeping(router: Router) -> None:
    """Last of the staff handlers: anything else typed in a staff input, and «Отмена»."""
    staff_states = StateFilter(*StaffBook.__all_states__)
    router.message.register(buttons_only, StaffBook.guest_pick, ~F.text.startswith("/"))
    router.message.register(text_only, staff_states, ~F.text.startswith("/"))
    router.callback_query.register(staff_cancel, staff_states, NavCb.filter())

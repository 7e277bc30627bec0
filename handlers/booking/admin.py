"""Staff side of booking (admin chat): schedules per resource and day, pending requests, figures, and the
decisions on one booking (approve, reject or cancel with a reason, no-show). Every id from a button is
checked against the current state by the service."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import BookingStatus, User
from handlers.booking.parsing import parse_staff_date
from handlers.booking.states import StaffBook
from handlers.booking.views import (
    alerted,
    card_keyboard,
    err,
    fmt_day,
    fmt_when,
    refuse_input,
    request_keyboard,
    send_confirmation,
    staff_card,
    status_text,
)
from handlers.common import target
from handlers.messengers import bot_for
from keyboards import booking as kb
from keyboards.admin import AdminAction, AdminCb
from keyboards.booking import Staff, StaffBk
from keyboards.common import NavCb
from services import booking as svc
from services.errors import DomainError

log = logging.getLogger(__name__)


async def tell_person(bot: Bot, i18n: I18n, user: User | None, text_of: Callable[[], str]) -> bool:
    """Send the person a message in their own language; False if it could not be delivered."""
    if user is None or user.tg_id is None:
        return False
    with i18n.use_locale(user.language or i18n.default_locale):
        text = text_of()
    try:
        await bot_for(user.messenger, bot).send_message(user.tg_id, text)
    except TelegramAPIError:
        log.warning("could not tell user %s about their booking", user.id, exc_info=True)
        return False
    return True


async def drop_buttons(bot: Bot, chat_id: int, message_id: int | None) -> None:
    """A decided card loses its buttons, so nobody decides on it again by mistake."""
    if not message_id:
        return
    try:
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None)
    except TelegramAPIError:
        pass  # too old to edit, or already without buttons: the server-side checks still hold


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
        span = f"{start:%H:%M}–{end:%H:%M}" if start.date() == end.date() else f"{start:%d.%m}–{end:%d.%m}"
        name = booking.guest_name if booking.user_id is None else (user.full_name if user else "?")
        lines.append(
            _("booking.adm_booking_line").format(
                id=booking.id,
                span=span,
                who=hd.quote(name or "?"),
                guest=_("booking.adm_no_tg_mark") if booking.user_id is None else "",
                status=status_text(booking),
            )
        )
        buttons.append((booking.id, f"#{booking.id} {span} {name or '?'}"[:60]))
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
    await callback.answer()
    await state.clear()
    await show_resources(target(callback), session, settings)


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


# --- approve / reject / cancel / no-show -------------------------------------------------------------


async def approve(
    callback: CallbackQuery,
    callback_data: StaffBk,
    session: AsyncSession,
    settings: Any,
    bot: Bot,
    i18n: I18n,
) -> None:
    try:
        changed = await svc.decide(
            session, callback_data.id, callback.from_user.id, approve=True, tz=settings.tz
        )
    except DomainError as error:
        await callback.answer(err(error), show_alert=True)
        return
    await callback.answer(_("booking.adm_approved_short"))
    await drop_buttons(bot, target(callback).chat.id, target(callback).message_id)
    user = changed.user
    delivered = False
    if user is not None and user.tg_id is not None:
        with i18n.use_locale(user.language or i18n.default_locale):
            try:
                await send_confirmation(
                    bot_for(user.messenger, bot),
                    user.tg_id,
                    changed.booking,
                    changed.resource,
                    user,
                    settings,
                )
                delivered = True
            except TelegramAPIError:
                log.warning("could not send approval of booking %s", changed.booking.id, exc_info=True)
    await target(callback).answer(
        _("booking.adm_approved").format(id=changed.booking.id, by=hd.quote(callback.from_user.full_name))
        + ("" if delivered else "\n" + _("booking.adm_not_delivered"))
    )


async def ask_reason(
    callback: CallbackQuery, callback_data: StaffBk, state: FSMContext, session: AsyncSession
) -> None:
    if (found := await alerted(callback, svc.get_booking(session, callback_data.id))) is None:
        return
    booking = found[0]
    rejecting = callback_data.a == Staff.REJECT
    allowed = (BookingStatus.PENDING,) if rejecting else (BookingStatus.PENDING, BookingStatus.CONFIRMED)
    if booking.status not in allowed:
        await callback.answer(
            _("booking.err_decided" if rejecting else "booking.err_not_active"), show_alert=True
        )
        return
    await callback.answer()
    await state.set_state(StaffBook.reject_reason if rejecting else StaffBook.cancel_reason)
    await state.update_data(bid=booking.id, card=target(callback).message_id)
    key = "booking.adm_ask_reject_reason" if rejecting else "booking.adm_ask_cancel_reason"
    await target(callback).answer(_(key).format(id=booking.id), reply_markup=kb.staff_nav())


async def with_reason(
    message: Message, state: FSMContext, session: AsyncSession, settings: Any, bot: Bot, i18n: I18n
) -> None:
    """The reason typed after «Отклонить» or «Отменить»: the decision, the person told, staff told."""
    data, rejecting = await state.get_data(), await state.get_state() == StaffBook.reject_reason.state
    assert message.from_user is not None
    staff_id, reason = message.from_user.id, message.text or ""
    try:
        if rejecting:
            changed = await svc.decide(
                session, int(data["bid"]), staff_id, approve=False, reason=reason, tz=settings.tz
            )
        else:
            changed = await svc.cancel_by_staff(session, int(data["bid"]), staff_id, reason)
    except DomainError as error:
        await refuse_input(message, state, error)
        return
    await state.clear()
    await drop_buttons(bot, message.chat.id, data.get("card"))
    booking, resource, user = changed.booking, changed.resource, changed.user
    delivered = await tell_person(
        bot,
        i18n,
        user,
        lambda: _("booking.rejected" if rejecting else "booking.cancelled_by_staff").format(
            resource=hd.quote(resource.title(user.language if user else None)),
            when=fmt_when(booking, settings),
            reason=hd.quote(booking.reason or ""),
        ),
    )
    text = _("booking.adm_rejected" if rejecting else "booking.adm_cancelled").format(id=booking.id)
    if booking.user_id is None and not rejecting:
        text += "\n" + _("booking.adm_call_guest").format(
            name=hd.quote(booking.guest_name or ""), phone=hd.quote(booking.guest_phone or "")
        )
    elif not delivered:
        text += "\n" + _("booking.adm_not_delivered")
    await message.answer(text)


async def no_show(callback: CallbackQuery, callback_data: StaffBk, session: AsyncSession) -> None:
    try:
        changed = await svc.mark_no_show(session, callback_data.id, callback.from_user.id)
    except DomainError as error:
        await callback.answer(err(error), show_alert=True)
        return
    await callback.answer(_("booking.adm_no_show_done").format(id=changed.booking.id), show_alert=True)


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
    act = StaffBk.filter
    not_command = ~F.text.startswith("/")
    router.message.register(cmd_bookings, Command("bookings"))
    router.callback_query.register(menu_bookings, AdminCb.filter(F.action == AdminAction.BOOKINGS))
    router.callback_query.register(list_resources, act(F.a == Staff.LIST))
    router.callback_query.register(day_schedule, act(F.a == Staff.DAY))
    router.callback_query.register(pending, act(F.a == Staff.PENDING))
    router.callback_query.register(figures, act(F.a == Staff.FIGURES))
    router.callback_query.register(open_booking, act(F.a == Staff.OPEN))
    router.callback_query.register(approve, act(F.a == Staff.APPROVE))
    router.callback_query.register(ask_reason, act(F.a.in_({Staff.REJECT, Staff.CANCEL})))
    router.message.register(
        with_reason, StateFilter(StaffBook.reject_reason, StaffBook.cancel_reason), F.text, not_command
    )
    router.callback_query.register(no_show, act(F.a == Staff.NO_SHOW))


def register_housekeeping(router: Router) -> None:
    """Last of the staff handlers: anything else typed in a staff input, and «Отмена»."""
    staff_states = StateFilter(*StaffBook.__all_states__)
    router.message.register(buttons_only, StaffBook.guest_pick, ~F.text.startswith("/"))
    router.message.register(text_only, staff_states, ~F.text.startswith("/"))
    router.callback_query.register(staff_cancel, staff_states, NavCb.filter())

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
    fmt_days,
    fmt_when,
    num,
    request_keyboard,
    send_confirmation,
    staff_card,
    status_text,
)
from handlers.common import screen_anew, target
from handlers.messengers import bot_for
from handlers.staff_acted import acted_line
from handlers.staff_input import ReplyToPrompt, ask_reply
from handlers.workspace import pin_after_decision
from keyboards import booking as kb
from keyboards.admin import AdminAction, AdminCb, ReasonAction, ReasonCb, reasons_keyboard
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


# --- approve / reject / cancel / no-show -------------------------------------------------------------


async def update_card(
    bot: Bot, chat_id: int, message_id: int | None, changed: svc.Changed, settings: Any, acted: str
) -> None:
    """The card, updated in place: its new status and who decided when; no buttons left to press."""
    if not message_id:
        return
    text = staff_card(changed.booking, changed.resource, changed.user, settings, acted=acted)
    try:
        await bot.edit_message_text(text=text, chat_id=chat_id, message_id=message_id, reply_markup=None)
    except TelegramAPIError:
        await drop_buttons(bot, chat_id, message_id)  # a card with a caption or too old: buttons at least


async def approve(
    callback: CallbackQuery,
    callback_data: StaffBk,
    session: AsyncSession,
    settings: Any,
    bot: Bot,
    i18n: I18n,
) -> None:
    decided = svc.decide(session, callback_data.id, callback.from_user.id, approve=True, tz=settings.tz)
    if (changed := await alerted(callback, decided)) is None:
        return
    await callback.answer(_("booking.adm_approved_short"))
    card = target(callback)
    acted = acted_line("staff.acted.approved", callback.from_user.full_name, settings)
    await update_card(bot, card.chat.id, card.message_id, changed, settings, acted)
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
    await card.answer(
        _("booking.adm_approved").format(
            id=num(changed.booking.id), by=hd.quote(callback.from_user.full_name)
        )
        + ("" if delivered else "\n" + _("booking.adm_not_delivered"))
    )
    await pin_after_decision(bot, session, settings)


REJECT, CANCEL = "bk_rej", "bk_cx"
PRESETS = {
    REJECT: ["staff.reason.busy", "staff.reason.closed", "staff.reason.documents"],
    CANCEL: ["staff.reason.closed", "staff.reason.center_needs", "staff.reason.busy"],
}


async def _decidable(callback: CallbackQuery, session: AsyncSession, booking_id: int, code: str) -> bool:
    if (found := await alerted(callback, svc.get_booking(session, booking_id))) is None:
        return False
    rejecting = code == REJECT
    allowed = (BookingStatus.PENDING,) if rejecting else (BookingStatus.PENDING, BookingStatus.CONFIRMED)
    if found[0].status not in allowed:
        await callback.answer(
            _("booking.err_decided" if rejecting else "booking.err_not_active"), show_alert=True
        )
        return False
    return True


async def ask_reason(callback: CallbackQuery, callback_data: StaffBk, session: AsyncSession) -> None:
    """«Отклонить» / «Отменить»: ready-made reasons as buttons, and «Своя причина» (a reply)."""
    code = REJECT if callback_data.a == Staff.REJECT else CANCEL
    if not await _decidable(callback, session, callback_data.id, code):
        return
    await callback.answer()
    key = "booking.adm_ask_reject_reason" if code == REJECT else "booking.adm_ask_cancel_reason"
    card = target(callback)
    await card.answer(
        _(key).format(id=num(callback_data.id)) + "\n" + _("staff.reason.pick"),
        reply_markup=reasons_keyboard(code, callback_data.id, PRESETS[code], card=card.message_id),
    )


async def reason_picked(
    callback: CallbackQuery,
    callback_data: ReasonCb,
    session: AsyncSession,
    settings: Any,
    bot: Bot,
    i18n: I18n,
) -> None:
    code, presets = callback_data.f, PRESETS.get(callback_data.f, [])
    if callback_data.r >= len(presets):
        await callback.answer(_("common.stale_button"), show_alert=True)
        return
    if not await _decidable(callback, session, callback_data.id, code):
        return
    await callback.answer()
    reason = _(presets[callback_data.r], locale=settings.default_locale)
    await drop_buttons(bot, target(callback).chat.id, target(callback).message_id)
    await decide_with_reason(
        target(callback),
        callback.from_user,
        code,
        callback_data.id,
        reason,
        callback_data.c or None,
        session,
        settings,
        bot,
        i18n,
    )


async def reason_own(
    callback: CallbackQuery, callback_data: ReasonCb, state: FSMContext, session: AsyncSession
) -> None:
    if not await _decidable(callback, session, callback_data.id, callback_data.f):
        return
    await callback.answer()
    who = hd.quote(callback.from_user.full_name)
    prompt = _("staff.reason.own_prompt").format(who=who, number=num(callback_data.id))
    await ask_reply(
        target(callback), state, callback_data.f, callback_data.id, prompt, card=callback_data.c or None
    )


async def reason_replied(
    message: Message,
    reply_for: dict[str, Any],
    state: FSMContext,
    session: AsyncSession,
    settings: Any,
    bot: Bot,
    i18n: I18n,
) -> None:
    """The reason, given as a reply to the bot's prompt (never an ordinary message in the chat)."""
    assert message.from_user is not None
    if not message.text:
        await message.reply(_("booking.adm_text_only"))
        return
    await state.clear()
    await decide_with_reason(
        message,
        message.from_user,
        reply_for["f"],
        int(reply_for["id"]),
        message.text,
        reply_for.get("card"),
        session,
        settings,
        bot,
        i18n,
    )


async def decide_with_reason(
    where: Message,
    staff_user: Any,
    code: str,
    booking_id: int,
    reason: str,
    card_id: int | None,
    session: AsyncSession,
    settings: Any,
    bot: Bot,
    i18n: I18n,
) -> None:
    """The decision with its reason: the booking changed, the card updated, the person told, staff told."""
    rejecting = code == REJECT
    try:
        if rejecting:
            changed = await svc.decide(
                session, booking_id, staff_user.id, approve=False, reason=reason, tz=settings.tz
            )
        else:
            changed = await svc.cancel_by_staff(session, booking_id, staff_user.id, reason)
    except DomainError as error:
        await where.answer(err(error))
        return
    acted = acted_line(
        "staff.acted.rejected" if rejecting else "staff.acted.cancelled", staff_user.full_name, settings
    )
    await update_card(bot, where.chat.id, card_id, changed, settings, acted)
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
    text = _("booking.adm_rejected" if rejecting else "booking.adm_cancelled").format(id=num(booking.id))
    if booking.user_id is None and not rejecting:
        text += "\n" + _("booking.adm_call_guest").format(
            name=hd.quote(booking.guest_name or ""), phone=hd.quote(booking.guest_phone or "")
        )
    elif not delivered:
        text += "\n" + _("booking.adm_not_delivered")
    await where.answer(text)
    await pin_after_decision(bot, session, settings)


async def no_show(
    callback: CallbackQuery, callback_data: StaffBk, session: AsyncSession, settings: Any, bot: Bot
) -> None:
    marked = svc.mark_no_show(session, callback_data.id, callback.from_user.id)
    if (changed := await alerted(callback, marked)) is None:
        return
    await callback.answer(_("booking.adm_no_show_done").format(id=num(changed.booking.id)), show_alert=True)
    acted = acted_line("staff.acted.no_show", callback.from_user.full_name, settings)
    await update_card(bot, target(callback).chat.id, target(callback).message_id, changed, settings, acted)


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
    router.message.register(cmd_bookings, Command("bookings", "staff_bookings"))
    router.callback_query.register(menu_bookings, AdminCb.filter(F.action == AdminAction.BOOKINGS))
    router.callback_query.register(list_resources, act(F.a == Staff.LIST))
    router.callback_query.register(day_schedule, act(F.a == Staff.DAY))
    router.callback_query.register(pending, act(F.a == Staff.PENDING))
    router.callback_query.register(figures, act(F.a == Staff.FIGURES))
    router.callback_query.register(open_booking, act(F.a == Staff.OPEN))
    router.callback_query.register(approve, act(F.a == Staff.APPROVE))
    router.callback_query.register(ask_reason, act(F.a.in_({Staff.REJECT, Staff.CANCEL})))
    codes = {REJECT, CANCEL}
    router.callback_query.register(
        reason_picked, ReasonCb.filter((F.action == ReasonAction.PICK) & F.f.in_(codes))
    )
    router.callback_query.register(
        reason_own, ReasonCb.filter((F.action == ReasonAction.OWN) & F.f.in_(codes))
    )
    router.message.register(reason_replied, ReplyToPrompt(REJECT, CANCEL))
    router.callback_query.register(no_show, act(F.a == Staff.NO_SHOW))


def register_housekeeping(router: Router) -> None:
    """Last of the staff handlers: anything else typed in a staff input, and «Отмена»."""
    staff_states = StateFilter(*StaffBook.__all_states__)
    router.message.register(buttons_only, StaffBook.guest_pick, ~F.text.startswith("/"))
    router.message.register(text_only, staff_states, ~F.text.startswith("/"))
    router.callback_query.register(staff_cancel, staff_states, NavCb.filter())

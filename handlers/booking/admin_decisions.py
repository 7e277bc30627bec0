"""Staff's decisions on one booking (admin chat): approve, reject or cancel with a reason (a ready-made one
or the staff's own, typed as a reply), no-show; each updates the card in place and tells the person. Every
id from a button is checked against the current state by the service."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import Desk
from db.models import BookingStatus
from handlers.booking.views import alerted, err, fmt_when, num, send_confirmation, staff_card
from handlers.common import target
from handlers.messengers import speaking_to, tell
from handlers.staff_acted import acted_line
from handlers.staff_input import ReplyToPrompt, ask_reply
from handlers.workspace import pin_after_decision
from keyboards.admin import ReasonAction, ReasonCb, reasons_keyboard
from keyboards.booking import Staff, StaffBk
from services import booking as svc
from services.errors import DomainError

log = logging.getLogger(__name__)


async def drop_buttons(bot: Bot, chat_id: int, message_id: int | None) -> None:
    """A decided card loses its buttons, so nobody decides on it again by mistake."""
    if not message_id:
        return
    try:
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None)
    except TelegramAPIError:
        pass  # too old to edit, or already without buttons: the server-side checks still hold


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


async def approve(callback: CallbackQuery, callback_data: StaffBk, desk: Desk) -> None:
    decided = svc.decide(
        desk.session, callback_data.id, callback.from_user.id, approve=True, tz=desk.settings.tz
    )
    if (changed := await alerted(callback, decided)) is None:
        return
    await callback.answer(_("booking.adm_approved_short"))
    card = target(callback)
    acted = acted_line("staff.acted.approved", callback.from_user.full_name, desk.settings)
    await update_card(desk.bot, card.chat.id, card.message_id, changed, desk.settings, acted)
    user = changed.user
    delivered = False
    if user is not None and user.tg_id is not None:
        with speaking_to(desk.bot, desk.i18n, user) as their_bot:
            try:
                await send_confirmation(
                    their_bot,
                    user.tg_id,
                    changed.booking,
                    changed.resource,
                    user,
                    desk.settings,
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
    await pin_after_decision(desk)


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


async def reason_picked(callback: CallbackQuery, callback_data: ReasonCb, desk: Desk) -> None:
    code, presets = callback_data.f, PRESETS.get(callback_data.f, [])
    if callback_data.r >= len(presets):
        await callback.answer(_("common.stale_button"), show_alert=True)
        return
    if not await _decidable(callback, desk.session, callback_data.id, code):
        return
    await callback.answer()
    reason = _(presets[callback_data.r], locale=desk.settings.default_locale)
    card = target(callback)
    await drop_buttons(desk.bot, card.chat.id, card.message_id)
    await decide_with_reason(
        card, callback.from_user, code, callback_data.id, reason, callback_data.c or None, desk
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


async def reason_replied(message: Message, reply_for: dict[str, Any], state: FSMContext, desk: Desk) -> None:
    """The reason, given as a reply to the bot's prompt (never an ordinary message in the chat)."""
    assert message.from_user is not None
    if not message.text:
        await message.reply(_("booking.adm_text_only"))
        return
    await state.clear()
    code, booking_id, card_id = reply_for["f"], int(reply_for["id"]), reply_for.get("card")
    await decide_with_reason(message, message.from_user, code, booking_id, message.text, card_id, desk)


async def decide_with_reason(
    where: Message, staff_user: Any, code: str, booking_id: int, reason: str, card_id: int | None, desk: Desk
) -> None:
    """The decision with its reason: the booking changed, the card updated, the person told, staff told."""
    session, settings, bot = desk.session, desk.settings, desk.bot
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
    delivered = await tell(
        bot,
        desk.i18n,
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
    await pin_after_decision(desk)


async def no_show(callback: CallbackQuery, callback_data: StaffBk, desk: Desk) -> None:
    marked = svc.mark_no_show(desk.session, callback_data.id, callback.from_user.id)
    if (changed := await alerted(callback, marked)) is None:
        return
    await callback.answer(_("booking.adm_no_show_done").format(id=num(changed.booking.id)), show_alert=True)
    acted = acted_line("staff.acted.no_show", callback.from_user.full_name, desk.settings)
    await update_card(
        desk.bot, target(callback).chat.id, target(callback).message_id, changed, desk.settings, acted
    )


def register(router: Router) -> None:
    """After the lists (admin.register): the buttons on a booking's card and the reason's reply."""
    act = StaffBk.filter
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

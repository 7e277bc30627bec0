"""The resident's bookings outside the dialog: the /my section, «Отменить» (asked once more), «Приду»."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import Desk
from db.models import Booking, BookingStatus, Resource, User
from handlers.booking.views import err, fmt_when, ics_file, num, resource_title, status_text, summary
from handlers.common import screen_anew, target
from handlers.workspace import staff_thread
from keyboards import booking as kb
from keyboards.booking import BookingAction, OwnBooking
from keyboards.my import MyCb, MySection
from services import booking as svc
from services import dates
from services.errors import DomainError

log = logging.getLogger(__name__)


def _line(booking: Booking, resource: Resource, user: User, settings: Any) -> str:
    return _("booking.my_line").format(
        resource=resource_title(resource, user), when=fmt_when(booking, settings), status=status_text(booking)
    )


async def show_my_bookings(message: Message, session: AsyncSession, user: User, settings: Any) -> None:
    coming = await svc.upcoming(session, user.id)
    done = await svc.past(session, user.id)
    lines = [_("booking.my_title")]
    if not coming:
        lines.append(_("booking.my_none"))
    lines += [_line(booking, resource, user, settings) for booking, resource in coming]
    if done:
        lines += ["", _("booking.my_past")]
        lines += [_line(booking, resource, user, settings) for booking, resource in done]
    buttons = [
        (
            booking.id,
            _("booking.btn_cancel_one").format(
                when=dates.moment_text(booking.start_at, settings.tz, _),
                resource=resource.title(user.language),
            ),
        )
        for booking, resource in coming
    ]
    await message.answer("\n".join(lines), reply_markup=kb.my_bookings_keyboard(buttons))


async def my_bookings(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User, settings: Any
) -> None:
    await show_my_bookings(await screen_anew(callback, state), session, user, settings)


async def _own_ahead(
    callback: CallbackQuery, session: AsyncSession, user: User, number: int, statuses: tuple[str, ...]
) -> tuple[Booking, Resource] | None:
    """The presser's booking ``number`` while it is in one of ``statuses`` and not over (the press
    answered); None (the press answered with why) if not."""
    try:
        booking, resource = await svc.own_booking(session, number, user.id)
    except DomainError as error:
        await callback.answer(err(error), show_alert=True)
        return None
    if booking.status not in statuses or booking.end_at <= svc.utcnow():
        await callback.answer(_("booking.err_not_active"), show_alert=True)
        return None
    await callback.answer()
    return booking, resource


async def ask_cancel(
    callback: CallbackQuery, callback_data: BookingAction, session: AsyncSession, user: User, settings: Any
) -> None:
    active = (BookingStatus.PENDING, BookingStatus.CONFIRMED)
    if (found := await _own_ahead(callback, session, user, callback_data.id, active)) is None:
        return
    booking, resource = found
    await target(callback).answer(
        _("booking.ask_cancel") + "\n\n" + summary(booking, resource, user, settings),
        reply_markup=kb.cancel_confirm_keyboard(booking.id),
    )


async def do_cancel(callback: CallbackQuery, callback_data: BookingAction, user: User, desk: Desk) -> None:
    try:
        changed = await svc.cancel_own(desk.session, callback_data.id, user.id)
    except DomainError as error:
        await desk.session.refresh(user)
        await callback.answer(err(error), show_alert=True)
        return
    await callback.answer(_("booking.cancelled_short"))
    await target(callback).answer(
        _("booking.cancelled") + "\n\n" + summary(changed.booking, changed.resource, user, desk.settings)
    )
    if changed.resource.needs_approval and desk.settings.admin_chat_id is not None:
        await _tell_staff(desk, changed.booking, changed.resource)


async def _tell_staff(desk: Desk, booking: Booking, resource: Resource) -> None:
    """A request staff had to approve was cancelled by its owner: a line in the admin chat."""
    text = _("booking.adm_cancelled_by_person").format(
        id=num(booking.id), resource=hd.quote(resource.name), when=fmt_when(booking, desk.settings)
    )
    thread = await staff_thread(desk, "bookings")
    try:
        await desk.bot.send_message(desk.settings.admin_chat_id, text, message_thread_id=thread)
    except TelegramAPIError:
        log.warning("could not tell staff about cancelled booking %s", booking.id, exc_info=True)


async def keep(callback: CallbackQuery) -> None:
    await callback.answer(_("booking.kept"), show_alert=False)


async def coming(
    callback: CallbackQuery, callback_data: BookingAction, session: AsyncSession, user: User
) -> None:
    try:
        await svc.mark_coming(session, callback_data.id, user.id)
    except DomainError as error:
        await session.refresh(user)
        await callback.answer(err(error), show_alert=True)
        return
    await callback.answer(_("booking.see_you"), show_alert=True)


async def calendar(callback: CallbackQuery, callback_data: BookingAction, user: User, desk: Desk) -> None:
    """«📆 В календарь»: the booking's .ics, only to its owner and while it is confirmed and ahead."""
    found = await _own_ahead(callback, desk.session, user, callback_data.id, (BookingStatus.CONFIRMED,))
    if found is None:
        return
    booking, resource = found
    await target(callback).answer_document(
        ics_file(booking, resource, user, desk.settings, desk.bot.id), caption=_("flows.calendar_caption")
    )


def register(router: Router) -> None:
    own = BookingAction.filter
    router.callback_query.register(ask_cancel, own(F.a == OwnBooking.CANCEL))
    router.callback_query.register(do_cancel, own(F.a == OwnBooking.CANCEL_YES))
    router.callback_query.register(keep, own(F.a == OwnBooking.KEEP))
    router.callback_query.register(coming, own(F.a == OwnBooking.COME))
    router.callback_query.register(calendar, own(F.a == OwnBooking.CALENDAR))
    router.callback_query.register(my_bookings, MyCb.filter(F.section == MySection.BOOKINGS))

"""Text and keyboards of booking shared by the resident and the staff side (no handlers here)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd

from db.models import Booking, BookingStatus, Resource, User
from keyboards import booking as kb
from services import booking as svc
from services import dates, ics
from services.errors import DomainError, ValidationFailed
from services.numbers import number
from services.plural import keyed_text

T = TypeVar("T")


def err(error: DomainError) -> str:
    """A domain error in the person's language; values named ``*_min`` are minutes, shown as "2 ч"."""
    values = {
        k: kb.minutes_label(v) if k.endswith("_min") and isinstance(v, int) else v
        for k, v in error.values.items()
    }
    return keyed_text(_, error.key, values)


def fmt_day(day: date) -> str:
    """«пт, 5 декабря» (the year only when it is not this one): services.dates' style."""
    return dates.day_text(day, _)


def fmt_days(first: date, last: date) -> str:
    """«пт, 5 декабря – вс, 7 декабря»."""
    return dates.days_text(first, last, _)


def fmt_when(booking: Booking, settings: Any) -> str:
    tz = settings.tz
    start, end = booking.start_at.astimezone(tz), booking.end_at.astimezone(tz)
    if start.date() == end.date():
        return dates.span_text(booking.start_at, booking.end_at, tz, _)
    return dates.days_text(start.date(), end.date(), _)


def resource_title(resource: Resource, user: User | None) -> str:
    return hd.quote(resource.title(user.language if user else None))


def status_text(booking: Booking) -> str:
    return _(f"booking.status.{booking.status}")


def summary(booking: Booking, resource: Resource, user: User | None, settings: Any) -> str:
    lines = [
        _("booking.sum_resource").format(resource=resource_title(resource, user)),
        _("booking.sum_when").format(when=fmt_when(booking, settings)),
    ]
    if not booking.is_long:
        lines.append(_("booking.sum_duration").format(duration=kb.minutes_label(booking.minutes)))
    if booking.purpose:
        lines.append(_("booking.sum_purpose").format(purpose=hd.quote(booking.purpose)))
    lines.append(_("booking.sum_address").format(address=hd.quote(settings.center_address)))
    lines.append(_("booking.sum_status").format(status=status_text(booking)))
    return "\n".join(lines)


def ics_file(
    booking: Booking, resource: Resource, user: User | None, settings: Any, bot_id: int
) -> BufferedInputFile:
    data = ics.event_ics(
        uid=f"booking-{booking.id}@ccbot-{bot_id}",
        start=booking.start_at,
        end=booking.end_at,
        summary=f"{resource.title(user.language if user else None)} — {settings.center_name}",
        location=settings.center_address,
        description=booking.purpose,
        alarm_minutes=60,
    )
    return BufferedInputFile(data, filename=ics.filename("booking", booking.id))


def who(booking: Booking, user: User | None) -> str:
    """The person behind a booking, for staff."""
    if booking.user_id is None:
        return _("booking.adm_guest").format(
            name=hd.quote(booking.guest_name or ""), phone=hd.quote(booking.guest_phone or "")
        )
    if user is None:
        return _("common.unknown_value")
    parts = [hd.quote(user.full_name or "")]
    if user.organisation:
        parts.append(hd.quote(user.organisation))
    if user.phone:
        parts.append(hd.quote(user.phone))
    if user.username:
        parts.append("@" + hd.quote(user.username))
    return ", ".join(p for p in parts if p)


def num(booking_id: int) -> str:
    """The booking's number as everyone sees it: «Б-12»."""
    return number("booking", booking_id)


def staff_card(
    booking: Booking, resource: Resource, user: User | None, settings: Any, acted: str | None = None
) -> str:
    """The staff card; ``acted``: who decided on it and when (added when the card is updated in place)."""
    lines = [
        _("booking.adm_card_title").format(id=num(booking.id), resource=hd.quote(resource.name)),
        _("booking.sum_when").format(when=fmt_when(booking, settings)),
        _("booking.adm_card_who").format(who=who(booking, user)),
    ]
    if booking.purpose:
        lines.append(_("booking.sum_purpose").format(purpose=hd.quote(booking.purpose)))
    lines.append(_("booking.sum_status").format(status=status_text(booking)))
    if booking.reason:
        lines.append(_("booking.adm_card_reason").format(reason=hd.quote(booking.reason)))
    if booking.coming_at:
        lines.append(_("booking.adm_card_coming"))
    if acted:
        lines.append(acted)
    return "\n".join(lines)


def card_keyboard(booking: Booking) -> InlineKeyboardMarkup:
    """The staff card's buttons for the booking as it is now."""
    now = svc.utcnow()
    return kb.staff_booking_keyboard(
        booking.id,
        pending=booking.status == BookingStatus.PENDING,
        active=booking.status in (BookingStatus.PENDING, BookingStatus.CONFIRMED) and booking.end_at > now,
        started=booking.start_at <= now,
    )


def request_keyboard(booking: Booking) -> InlineKeyboardMarkup:
    """A new request's card: «Подтвердить» / «Отклонить»."""
    return kb.staff_booking_keyboard(booking.id, pending=True, active=True, started=False)


async def send_confirmation(
    bot: Bot, chat_id: int, booking: Booking, resource: Resource, user: User | None, settings: Any
) -> None:
    """The confirmed booking as text, with «📆 В календарь» (the .ics on request) and «Отменить»."""
    await bot.send_message(
        chat_id,
        _("flows.booking.confirmed") + "\n\n" + summary(booking, resource, user, settings),
        reply_markup=kb.booking_keyboard(booking.id, calendar=True, home=True),
    )


async def alerted(callback: CallbackQuery, lookup: Awaitable[T]) -> T | None:
    """What ``lookup`` finds; None, with the reason as an alert on the button, if the service refuses."""
    try:
        return await lookup
    except DomainError as error:
        await callback.answer(err(error), show_alert=True)
        return None


async def refuse_input(message: Message, state: FSMContext, error: DomainError) -> None:
    """A staff input the service refused: one that can be fixed is asked again, anything else ends it."""
    if isinstance(error, ValidationFailed):
        await message.answer(err(error), reply_markup=kb.staff_nav())
        return
    await state.clear()
    await message.answer(err(error))

"""/book: resource → day (calendar) → start → duration → purpose → confirmation; /my bookings;
the reminder's «Приду» / «Отменить». Every answer from a button is checked again on the server."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Booking, BookingStatus, Resource, User
from handlers.common import RequireRegistration, target
from handlers.filters import private_only
from keyboards import booking as kb
from keyboards.booking import BookCb, BookingAction
from keyboards.common import NavCb, require_id
from keyboards.menu import MenuCb
from keyboards.my import MyCb
from services import booking as svc
from services import ics
from services.errors import DomainError

log = logging.getLogger(__name__)


class Book(StatesGroup):
    resource = State()
    day = State()
    time = State()
    duration = State()
    purpose = State()
    confirm = State()


BACK = {
    Book.day.state: Book.resource,
    Book.time.state: Book.day,
    Book.duration.state: Book.time,
    Book.purpose.state: Book.duration,
    Book.confirm.state: Book.purpose,
}


# --- text helpers (shared with the staff side) -------------------------------------------------------


def err(error: DomainError) -> str:
    """A domain error in the person's language; values named ``*_min`` are minutes, shown as "2 ч"."""
    values = {
        k: kb.minutes_label(v) if k.endswith("_min") and isinstance(v, int) else v
        for k, v in error.values.items()
    }
    return _(error.key).format(**values)


def fmt_day(day: date) -> str:
    weekdays = _("booking.weekdays").split(",")
    months = _("booking.months").split(",")
    return f"{weekdays[day.weekday()]}, {day.day} {months[day.month - 1]}"


def fmt_when(booking: Booking, settings: Any) -> str:
    tz = settings.tz
    start, end = booking.start_at.astimezone(tz), booking.end_at.astimezone(tz)
    if start.date() == end.date():
        return f"{fmt_day(start.date())}, {start:%H:%M}–{end:%H:%M}"
    return f"{fmt_day(start.date())} – {fmt_day(end.date())}"


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


def staff_card(booking: Booking, resource: Resource, user: User | None, settings: Any) -> str:
    lines = [
        _("booking.adm_card_title").format(id=booking.id, resource=hd.quote(resource.name)),
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
    return "\n".join(lines)


async def send_confirmation(
    bot: Bot, chat_id: int, booking: Booking, resource: Resource, user: User | None, settings: Any
) -> None:
    """The confirmed booking: everything in the caption, the .ics attached, «Отменить» under it."""
    await bot.send_document(
        chat_id,
        ics_file(booking, resource, user, settings, bot.id),
        caption=_("booking.confirmed") + "\n\n" + summary(booking, resource, user, settings),
        reply_markup=kb.booking_keyboard(booking.id),
    )


async def notify_staff_request(
    bot: Bot, settings: Any, booking: Booking, resource: Resource, user: User | None
) -> None:
    """A pending request: a card with «Подтвердить» / «Отклонить» in the admin chat."""
    if settings.admin_chat_id is None:
        return
    try:
        await bot.send_message(
            settings.admin_chat_id,
            _("booking.adm_new_request") + "\n\n" + staff_card(booking, resource, user, settings),
            reply_markup=kb.staff_booking_keyboard(booking.id, pending=True, active=True, started=False),
        )
    except TelegramAPIError:
        log.warning("could not post booking request %s to the admin chat", booking.id, exc_info=True)


# --- the steps ---------------------------------------------------------------------------------------


async def _resource_of(state: FSMContext, session: AsyncSession) -> Resource:
    data = await state.get_data()
    return await svc.get_resource(session, int(data["rid"]))


async def render(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Any,
    note: str | None = None,
) -> None:
    """Show the current step (after a move, a «Назад», or input that did not fit)."""
    message = target(event)
    current = await state.get_state()
    data = await state.get_data()
    prefix = note + "\n\n" if note else ""
    tz = settings.tz
    if current == Book.resource.state:
        items = await svc.resources(session)
        if not items:
            await state.clear()
            await message.answer(prefix + _("booking.no_resources"))
            return
        lines = [_("booking.ask_resource")]
        for resource in items:
            key = "booking.res_line_approval" if resource.needs_approval else "booking.res_line"
            lines.append(_(key).format(name=resource_title(resource, user), capacity=resource.capacity))
        await message.answer(
            prefix + "\n".join(lines),
            reply_markup=kb.resources_keyboard([(r.id, r.title(user.language)) for r in items]),
        )
        return
    try:
        resource = await _resource_of(state, session)
    except DomainError as error:
        await state.set_state(Book.resource)
        await render(event, state, session, user, settings, note=err(error))
        return
    name = resource_title(resource, user)
    if current == Book.day.state:
        days = await svc.bookable_days(session, resource, tz=tz, user_id=user.id)
        if not days:
            note = prefix + _("booking.no_days").format(resource=name, days=resource.horizon_days)
            await go(event, state, session, user, settings, Book.resource, note=note)
            return
        first, last = svc.window(resource, svc.utcnow(), tz)
        shown = data.get("month") or days[0].strftime("%Y%m")
        year, month = int(shown[:4]), int(shown[4:])
        text = _("booking.ask_day").format(resource=name, days=resource.horizon_days)
        if resource.needs_approval:
            text += "\n" + _("booking.approval_note")
        await message.answer(
            prefix + text, reply_markup=kb.calendar_keyboard(year, month, set(days), first, last)
        )
        return
    day = date.fromisoformat(data["day"])
    if current == Book.time.state:
        slots = await svc.slots_of_day(session, resource, day, tz=tz, user_id=user.id)
        options = svc.start_options(resource, slots)
        if not options:
            await state.set_state(Book.day)
            await render(event, state, session, user, settings, note=(note or "") + _("booking.day_full"))
            return
        text = _("booking.ask_time").format(resource=name, day=fmt_day(day))
        if resource.capacity > 1:
            text += "\n" + _("booking.places_hint").format(capacity=resource.capacity)
        await message.answer(
            prefix + text,
            reply_markup=kb.times_keyboard([(s.start, s.left) for s in options], tz, resource.capacity > 1),
        )
        return
    start = _start_of(data)
    if current == Book.duration.state:
        options, quota = await _durations(session, resource, user, day, start, settings)
        if not options:
            if quota is not None and quota.minutes is not None and quota.minutes < resource.min_minutes:
                reason = _("booking.err_quota_org" if quota.reason == "org" else "booking.err_quota").format(
                    limit_min=kb.minutes_label(quota.limit), left_min=kb.minutes_label(quota.minutes)
                )
                await go(event, state, session, user, settings, Book.day, note=reason)
                return
            await go(event, state, session, user, settings, Book.time, note=_("booking.err_taken"))
            return
        text = _("booking.ask_duration").format(
            resource=name, day=fmt_day(day), time=start.astimezone(tz).strftime("%H:%M")
        )
        if quota is not None and quota.minutes is not None and quota.minutes < resource.max_minutes:
            text += "\n" + _("booking.quota_hint").format(left=kb.minutes_label(quota.minutes))
        await message.answer(prefix + text, reply_markup=kb.durations_keyboard(options))
        return
    if current == Book.purpose.state:
        await message.answer(
            prefix + _("booking.ask_purpose").format(max=svc.PURPOSE_MAX), reply_markup=kb.purpose_keyboard()
        )
        return
    if current == Book.confirm.state:
        minutes = int(data["minutes"])
        local = start.astimezone(tz)
        end = (start + timedelta(minutes=minutes)).astimezone(tz)
        lines = [
            _("booking.ask_confirm"),
            "",
            _("booking.sum_resource").format(resource=name),
            _("booking.sum_when").format(when=f"{fmt_day(day)}, {local:%H:%M}–{end:%H:%M}"),
            _("booking.sum_duration").format(duration=kb.minutes_label(minutes)),
        ]
        if data.get("purpose"):
            lines.append(_("booking.sum_purpose").format(purpose=hd.quote(data["purpose"])))
        if resource.needs_approval:
            lines.append(_("booking.approval_note"))
        await message.answer(
            prefix + "\n".join(lines), reply_markup=kb.confirm_keyboard(resource.needs_approval)
        )


def _start_of(data: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(data["start"]) * 60, tz=UTC)


async def _durations(
    session: AsyncSession, resource: Resource, user: User, day: date, start: datetime, settings: Any
) -> tuple[list[int], svc.QuotaLeft | None]:
    slots = await svc.slots_of_day(session, resource, day, tz=settings.tz, user_id=user.id)
    quota = await svc.quota_left(session, resource, user, day, tz=settings.tz)
    return svc.duration_options(resource, slots, start, limit=quota.minutes), quota


async def go(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Any,
    step: State,
    note: str | None = None,
) -> None:
    await state.set_state(step)
    await render(event, state, session, user, settings, note)


async def start_booking(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, user: User, settings: Any
) -> None:
    await state.clear()
    await go(event, state, session, user, settings, Book.resource)


# --- /my ----------------------------------------------------------------------------------------------


async def show_my_bookings(message: Message, session: AsyncSession, user: User, settings: Any) -> None:
    coming = await svc.upcoming(session, user.id)
    done = await svc.past(session, user.id)
    lines = [_("booking.my_title")]
    if not coming:
        lines.append(_("booking.my_none"))
    for booking, resource in coming:
        lines.append(
            _("booking.my_line").format(
                resource=resource_title(resource, user),
                when=fmt_when(booking, settings),
                status=status_text(booking),
            )
        )
    if done:
        lines += ["", _("booking.my_past")]
        for booking, resource in done:
            lines.append(
                _("booking.my_line").format(
                    resource=resource_title(resource, user),
                    when=fmt_when(booking, settings),
                    status=status_text(booking),
                )
            )
    buttons = [
        (
            booking.id,
            _("booking.btn_cancel_one").format(
                when=booking.start_at.astimezone(settings.tz).strftime("%d.%m %H:%M"),
                resource=resource.title(user.language),
            ),
        )
        for booking, resource in coming
    ]
    await message.answer("\n".join(lines), reply_markup=kb.my_bookings_keyboard(buttons))


# --- the router ----------------------------------------------------------------------------------------


def create_router() -> Router:
    router = Router(name="booking")
    private_only(router)
    router.message.middleware(RequireRegistration())
    router.callback_query.middleware(RequireRegistration())
    in_dialog = StateFilter(*Book.__all_states__)

    @router.message(Command("book"))
    async def cmd_book(
        message: Message, state: FSMContext, session: AsyncSession, user: User, settings: Any
    ) -> None:
        await start_booking(message, state, session, user, settings)

    @router.callback_query(MenuCb.filter(F.action == "book"))
    async def menu_book(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User, settings: Any
    ) -> None:
        await callback.answer()
        await start_booking(callback, state, session, user, settings)

    @router.callback_query(BookCb.filter(F.a == "start"))
    async def again(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User, settings: Any
    ) -> None:
        await callback.answer()
        await start_booking(callback, state, session, user, settings)

    @router.callback_query(BookCb.filter(F.a == "noop"))
    async def noop(callback: CallbackQuery) -> None:
        await callback.answer()

    @router.callback_query(Book.resource, BookCb.filter(F.a == "res"))
    async def pick_resource(
        callback: CallbackQuery,
        callback_data: BookCb,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        settings: Any,
    ) -> None:
        await callback.answer()
        try:
            resource = await svc.get_resource(session, require_id(callback_data.v))
        except (DomainError, ValueError):
            await render(callback, state, session, user, settings, note=_("booking.err_resource_gone"))
            return
        await state.update_data(rid=resource.id, month=None)
        await go(callback, state, session, user, settings, Book.day)

    @router.callback_query(Book.day, BookCb.filter(F.a == "mon"))
    async def flip_month(
        callback: CallbackQuery,
        callback_data: BookCb,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        settings: Any,
    ) -> None:
        await callback.answer()
        try:
            resource = await _resource_of(state, session)
            year, month = int(callback_data.v[:4]), int(callback_data.v[4:])
            date(year, month, 1)
        except (DomainError, ValueError):
            await go(callback, state, session, user, settings, Book.resource)
            return
        await state.update_data(month=callback_data.v)
        days = await svc.bookable_days(session, resource, tz=settings.tz, user_id=user.id)
        first, last = svc.window(resource, svc.utcnow(), settings.tz)
        markup = kb.calendar_keyboard(year, month, set(days), first, last)
        try:
            await target(callback).edit_reply_markup(reply_markup=markup)
        except TelegramAPIError:
            await render(callback, state, session, user, settings)

    @router.callback_query(Book.day, BookCb.filter(F.a == "day"))
    async def pick_day(
        callback: CallbackQuery,
        callback_data: BookCb,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        settings: Any,
    ) -> None:
        await callback.answer()
        try:
            resource = await _resource_of(state, session)
            day = kb.parse_day(callback_data.v)
        except (DomainError, ValueError):
            await go(callback, state, session, user, settings, Book.resource)
            return
        if day not in await svc.bookable_days(session, resource, tz=settings.tz, user_id=user.id):
            await render(callback, state, session, user, settings, note=_("booking.day_gone"))
            return
        await state.update_data(day=day.isoformat())
        await go(callback, state, session, user, settings, Book.time)

    @router.callback_query(Book.time, BookCb.filter(F.a == "time"))
    async def pick_time(
        callback: CallbackQuery,
        callback_data: BookCb,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        settings: Any,
    ) -> None:
        await callback.answer()
        data = await state.get_data()
        try:
            resource = await _resource_of(state, session)
            start = datetime.fromtimestamp(require_id(callback_data.v) * 60, tz=UTC)
        except (DomainError, ValueError, OverflowError, OSError):
            await go(callback, state, session, user, settings, Book.resource)
            return
        slots = await svc.slots_of_day(
            session, resource, date.fromisoformat(data["day"]), tz=settings.tz, user_id=user.id
        )
        if start not in {s.start for s in svc.start_options(resource, slots)}:
            await render(callback, state, session, user, settings, note=_("booking.err_taken"))
            return
        await state.update_data(start=int(callback_data.v))
        await go(callback, state, session, user, settings, Book.duration)

    @router.callback_query(Book.duration, BookCb.filter(F.a == "dur"))
    async def pick_duration(
        callback: CallbackQuery,
        callback_data: BookCb,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        settings: Any,
    ) -> None:
        await callback.answer()
        data = await state.get_data()
        try:
            resource = await _resource_of(state, session)
            minutes = require_id(callback_data.v)
        except (DomainError, ValueError):
            await go(callback, state, session, user, settings, Book.resource)
            return
        options, _quota = await _durations(
            session, resource, user, date.fromisoformat(data["day"]), _start_of(data), settings
        )
        if minutes not in options:
            await render(callback, state, session, user, settings, note=_("booking.duration_gone"))
            return
        await state.update_data(minutes=minutes)
        await go(callback, state, session, user, settings, Book.purpose)

    @router.callback_query(Book.purpose, BookCb.filter(F.a == "skip"))
    async def skip_purpose(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User, settings: Any
    ) -> None:
        await callback.answer()
        await state.update_data(purpose=None)
        await go(callback, state, session, user, settings, Book.confirm)

    @router.message(Book.purpose, F.text, ~F.text.startswith("/"))
    async def type_purpose(
        message: Message, state: FSMContext, session: AsyncSession, user: User, settings: Any
    ) -> None:
        try:
            purpose = svc.clean_purpose(message.text)
        except DomainError as error:
            await message.answer(err(error), reply_markup=kb.purpose_keyboard())
            return
        await state.update_data(purpose=purpose)
        await go(message, state, session, user, settings, Book.confirm)

    @router.message(Book.purpose, ~F.text.startswith("/"))
    async def purpose_not_text(message: Message) -> None:
        await message.answer(_("booking.purpose_text_only"), reply_markup=kb.purpose_keyboard())

    @router.callback_query(Book.confirm, BookCb.filter(F.a == "ok"))
    async def confirm(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User, settings: Any, bot: Bot
    ) -> None:
        data = await state.get_data()
        try:
            booking = await svc.create_booking(
                session,
                resource_id=int(data["rid"]),
                user=user,
                start=_start_of(data),
                minutes=int(data["minutes"]),
                purpose=data.get("purpose"),
                tz=settings.tz,
                pending_limit=settings.approval_pending_limit,
            )
        except svc.SlotTaken as error:
            await session.refresh(user)  # the failed write rolled back and expired it
            await callback.answer()
            await go(callback, state, session, user, settings, Book.time, note=err(error))
            return
        except DomainError as error:
            await session.refresh(user)
            await callback.answer()
            await target(callback).answer(err(error), reply_markup=kb.confirm_keyboard(False))
            return
        await state.clear()
        await callback.answer()
        resource = await svc.get_resource(session, booking.resource_id, active_only=False)
        if booking.status == BookingStatus.PENDING:
            await target(callback).answer(
                _("booking.requested") + "\n\n" + summary(booking, resource, user, settings),
                reply_markup=kb.booking_keyboard(booking.id),
            )
            await notify_staff_request(bot, settings, booking, resource, user)
            return
        await send_confirmation(bot, target(callback).chat.id, booking, resource, user, settings)

    @router.callback_query(in_dialog, NavCb.filter(F.action == "back"))
    async def back(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User, settings: Any
    ) -> None:
        await callback.answer()
        previous = BACK.get(await state.get_state() or "")
        if previous is None:
            await start_booking(callback, state, session, user, settings)
            return
        await go(callback, state, session, user, settings, previous)

    @router.message(in_dialog, ~F.text.startswith("/"))
    async def use_buttons(
        message: Message, state: FSMContext, session: AsyncSession, user: User, settings: Any
    ) -> None:
        await render(message, state, session, user, settings, note=_("booking.use_buttons"))

    # --- one booking: cancel, «Приду» ----------------------------------------------------------------

    @router.callback_query(BookingAction.filter(F.a == "cancel"))
    async def ask_cancel(
        callback: CallbackQuery,
        callback_data: BookingAction,
        session: AsyncSession,
        user: User,
        settings: Any,
    ) -> None:
        try:
            booking, resource = await svc.own_booking(session, callback_data.id, user.id)
        except DomainError as error:
            await callback.answer(err(error), show_alert=True)
            return
        if (
            booking.status not in (BookingStatus.PENDING, BookingStatus.CONFIRMED)
            or booking.end_at <= svc.utcnow()
        ):
            await callback.answer(_("booking.err_not_active"), show_alert=True)
            return
        await callback.answer()
        await target(callback).answer(
            _("booking.ask_cancel") + "\n\n" + summary(booking, resource, user, settings),
            reply_markup=kb.cancel_confirm_keyboard(booking.id),
        )

    @router.callback_query(BookingAction.filter(F.a == "cx"))
    async def do_cancel(
        callback: CallbackQuery,
        callback_data: BookingAction,
        session: AsyncSession,
        user: User,
        settings: Any,
        bot: Bot,
    ) -> None:
        try:
            changed = await svc.cancel_own(session, callback_data.id, user.id)
        except DomainError as error:
            await session.refresh(user)
            await callback.answer(err(error), show_alert=True)
            return
        await callback.answer(_("booking.cancelled_short"))
        await target(callback).answer(
            _("booking.cancelled") + "\n\n" + summary(changed.booking, changed.resource, user, settings)
        )
        if changed.resource.needs_approval and settings.admin_chat_id is not None:
            try:
                await bot.send_message(
                    settings.admin_chat_id,
                    _("booking.adm_cancelled_by_person").format(
                        id=changed.booking.id,
                        resource=hd.quote(changed.resource.name),
                        when=fmt_when(changed.booking, settings),
                    ),
                )
            except TelegramAPIError:
                log.warning(
                    "could not tell staff about cancelled booking %s", changed.booking.id, exc_info=True
                )

    @router.callback_query(BookingAction.filter(F.a == "keep"))
    async def keep(callback: CallbackQuery) -> None:
        await callback.answer(_("booking.kept"), show_alert=False)

    @router.callback_query(BookingAction.filter(F.a == "come"))
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

    @router.callback_query(MyCb.filter(F.section == "bookings"))
    async def my_bookings(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User, settings: Any
    ) -> None:
        await callback.answer()
        await state.clear()
        await show_my_bookings(target(callback), session, user, settings)

    return router


async def seed_resources(db: Any, settings: Any) -> None:
    """Dispatcher start-up: the default resources on a fresh install (idempotent)."""
    svc.set_timezone(settings.tz)
    async with db.session() as session:
        added = await svc.ensure_default_resources(session)
    if added:
        log.info("booking: seeded %d default resources", added)

"""Staff side of booking (admin chat): schedules per resource and day, approving or rejecting
requests, cancelling with a reason, no-shows, booking on behalf of a resident without Telegram,
and the resources' settings. Every id from a button is checked against the current state."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Booking, BookingStatus, Resource, User
from handlers.booking import err, fmt_day, fmt_when, send_confirmation, staff_card, status_text
from handlers.common import target
from keyboards import booking as kb
from keyboards.admin import AdminCb
from keyboards.booking import StaffBk
from keyboards.common import NavCb, require_id
from services import booking as svc
from services.errors import DomainError, ValidationFailed

log = logging.getLogger(__name__)


class StaffBook(StatesGroup):
    reject_reason = State()
    cancel_reason = State()
    guest_name = State()
    guest_phone = State()
    edit_value = State()
    new_name = State()
    guest_pick = State()  # choosing a time and length with buttons


MINUTE_FIELDS = {
    "slot_minutes",
    "min_minutes",
    "max_minutes",
    "min_notice_minutes",
    "cancel_cutoff_minutes",
    "weekly_quota_minutes",
    "org_weekly_quota_minutes",
}
WEEKDAY_NAMES = {
    "пн": 1, "вт": 2, "ср": 3, "чт": 4, "пт": 5, "сб": 6, "вс": 7,
    "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7,
}  # fmt: skip
HOURS_LINE = re.compile(
    r"^\s*(\S+)\s+(?:(\d{1,2}[:.]\d{2})\s*[-–—]\s*(\d{1,2}[:.]\d{2})|[-–—]|закрыто|closed)\s*$", re.I
)
DATE_RE = re.compile(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{2,4}))?")


def parse_staff_date(text: str, today: date) -> date:
    """ "31.12", "31.12.2026" or "31.12.26"; a day without a year is the next such day from today."""
    match = DATE_RE.fullmatch(text.strip())
    if match is None:
        raise ValidationFailed("booking.err_date")
    day, month, year = int(match[1]), int(match[2]), match[3]
    try:
        if year:
            value = int(year) + (2000 if len(year) == 2 else 0)
            return date(value, month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate >= today - timedelta(days=31) else date(today.year + 1, month, day)
    except ValueError as exc:
        raise ValidationFailed("booking.err_date") from exc


def parse_hours(text: str, current: dict[str, Any]) -> dict[str, Any]:
    """Lines like "пн 09:00-18:00" or "сб -" (closed), merged into the current hours."""
    hours = dict(current)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValidationFailed("booking.err_res_hours")
    for line in lines:
        match = HOURS_LINE.match(line)
        if match is None:
            raise ValidationFailed("booking.err_res_hours")
        name = match[1].lower().rstrip(".,:")
        weekday = WEEKDAY_NAMES.get(name) or (int(name) if name.isdigit() and 1 <= int(name) <= 7 else None)
        if weekday is None:
            raise ValidationFailed("booking.err_res_hours")
        if match[2]:
            hours[str(weekday)] = [match[2].replace(".", ":").zfill(5), match[3].replace(".", ":").zfill(5)]
        else:
            hours.pop(str(weekday), None)
    try:
        return svc._validated_hours(hours)
    except (ValueError, IndexError) as exc:
        raise ValidationFailed("booking.err_res_hours") from exc


def resource_settings_text(resource: Resource) -> str:
    weekdays = _("booking.weekdays").split(",")
    hours = [
        f"{weekdays[int(d) - 1]} {span[0]}–{span[1]}" for d, span in sorted((resource.hours or {}).items())
    ]
    closed = ", ".join(date.fromisoformat(d).strftime("%d.%m.%Y") for d in resource.closed_dates or []) or "—"
    quota = kb.minutes_label(resource.weekly_quota_minutes) if resource.weekly_quota_minutes else "—"
    org_quota = (
        kb.minutes_label(resource.org_weekly_quota_minutes) if resource.org_weekly_quota_minutes else "—"
    )
    return _("booking.adm_settings").format(
        name=hd.quote(resource.name),
        name_en=hd.quote(resource.name_en or "—"),
        code=resource.code,
        active=_("btn.yes") if resource.active else _("btn.no"),
        capacity=resource.capacity,
        slot=kb.minutes_label(resource.slot_minutes),
        min=kb.minutes_label(resource.min_minutes),
        max=kb.minutes_label(resource.max_minutes),
        horizon=resource.horizon_days,
        notice=kb.minutes_label(resource.min_notice_minutes) if resource.min_notice_minutes else "—",
        cutoff=kb.minutes_label(resource.cancel_cutoff_minutes) if resource.cancel_cutoff_minutes else "—",
        quota=quota,
        org_quota=org_quota,
        approval=_("btn.yes") if resource.needs_approval else _("btn.no"),
        hours="; ".join(hours) or "—",
        closed=closed,
    )


async def tell_person(bot: Bot, i18n: I18n, user: User | None, text_of: Any) -> bool:
    """Send the person a message in their own language; False if it could not be delivered."""
    if user is None or user.tg_id is None:
        return False
    with i18n.use_locale(user.language or i18n.default_locale):
        text = text_of()
    try:
        await bot.send_message(user.tg_id, text)
    except TelegramAPIError:
        log.warning("could not tell user %s about their booking", user.id, exc_info=True)
        return False
    return True


def create_router() -> Router:
    router = Router(name="admin-booking")
    staff_states = StateFilter(*StaffBook.__all_states__)

    # --- schedules ----------------------------------------------------------------------------------

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
        resource = plan.resource
        tz = settings.tz
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
        if plan.bookings:
            lines += ["", _("booking.adm_bookings")]
        else:
            lines.append(_("booking.adm_no_bookings"))
        buttons = []
        for booking, user in plan.bookings:
            start, end = booking.start_at.astimezone(tz), booking.end_at.astimezone(tz)
            span = (
                f"{start:%H:%M}–{end:%H:%M}" if start.date() == end.date() else f"{start:%d.%m}–{end:%d.%m}"
            )
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
        await message.answer(
            "\n".join(lines),
            reply_markup=kb.schedule_keyboard(
                resource.id, day, buttons, day - timedelta(days=1), day + timedelta(days=1)
            ),
        )

    @router.message(Command("bookings"))
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

    @router.callback_query(AdminCb.filter(F.action == "bookings"))
    async def menu_bookings(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, settings: Any
    ) -> None:
        await callback.answer()
        await state.clear()
        await show_resources(target(callback), session, settings)

    @router.callback_query(StaffBk.filter(F.a == "list"))
    async def list_resources(callback: CallbackQuery, session: AsyncSession, settings: Any) -> None:
        await callback.answer()
        await show_resources(target(callback), session, settings)

    @router.callback_query(StaffBk.filter(F.a == "day"))
    async def day_schedule(
        callback: CallbackQuery, callback_data: StaffBk, session: AsyncSession, settings: Any
    ) -> None:
        try:
            day = (
                kb.parse_day(callback_data.v)
                if callback_data.v
                else svc.local_today(svc.utcnow(), settings.tz)
            )
            await callback.answer()
            await show_schedule(target(callback), session, settings, callback_data.id, day)
        except ValueError:
            await callback.answer(_("common.stale_button"), show_alert=True)
        except DomainError as error:
            await callback.answer(err(error), show_alert=True)

    @router.callback_query(StaffBk.filter(F.a == "pend"))
    async def pending(callback: CallbackQuery, session: AsyncSession, settings: Any) -> None:
        await callback.answer()
        rows = await svc.pending_requests(session)
        if not rows:
            await target(callback).answer(_("booking.adm_no_pending"))
            return
        for booking, resource, user in rows[:10]:
            await target(callback).answer(
                staff_card(booking, resource, user, settings),
                reply_markup=kb.staff_booking_keyboard(booking.id, pending=True, active=True, started=False),
            )

    @router.callback_query(StaffBk.filter(F.a == "fig"))
    async def figures(callback: CallbackQuery, session: AsyncSession, settings: Any) -> None:
        """For reports to funders: the last 30 days per resource."""
        await callback.answer()
        today = svc.local_today(svc.utcnow(), settings.tz)
        first = today - timedelta(days=29)
        since = datetime.combine(first, datetime.min.time(), tzinfo=settings.tz).astimezone(UTC)
        until = datetime.combine(
            today + timedelta(days=1), datetime.min.time(), tzinfo=settings.tz
        ).astimezone(UTC)
        data = await svc.figures(session, since, until)
        names = {r.code: r.name for r in await svc.resources(session, include_inactive=True)}
        lines = [_("booking.adm_figures_title").format(start=f"{first:%d.%m}", end=f"{today:%d.%m.%Y}")]
        if not data:
            lines.append(_("booking.adm_figures_none"))
        for code, row in sorted(data.items()):
            lines.append(
                _("booking.adm_figures_line").format(resource=hd.quote(names.get(code, code)), **row)
            )
        await target(callback).answer("\n".join(lines))

    @router.callback_query(StaffBk.filter(F.a == "open"))
    async def open_booking(
        callback: CallbackQuery, callback_data: StaffBk, session: AsyncSession, settings: Any
    ) -> None:
        try:
            booking, resource, user = await svc.get_booking(session, callback_data.id)
        except DomainError as error:
            await callback.answer(err(error), show_alert=True)
            return
        await callback.answer()
        await target(callback).answer(
            staff_card(booking, resource, user, settings), reply_markup=_card_keyboard(booking)
        )

    # --- approve / reject / cancel / no-show ---------------------------------------------------------

    @router.callback_query(StaffBk.filter(F.a == "ok"))
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
        await _drop_buttons(bot, target(callback).chat.id, target(callback).message_id)
        user = changed.user
        delivered = False
        if user is not None and user.tg_id is not None:
            with i18n.use_locale(user.language or i18n.default_locale):
                try:
                    await send_confirmation(
                        bot, user.tg_id, changed.booking, changed.resource, user, settings
                    )
                    delivered = True
                except TelegramAPIError:
                    log.warning("could not send approval of booking %s", changed.booking.id, exc_info=True)
        await target(callback).answer(
            _("booking.adm_approved").format(id=changed.booking.id, by=hd.quote(callback.from_user.full_name))
            + ("" if delivered else "\n" + _("booking.adm_not_delivered"))
        )

    @router.callback_query(StaffBk.filter(F.a.in_({"rej", "cx"})))
    async def ask_reason(
        callback: CallbackQuery, callback_data: StaffBk, state: FSMContext, session: AsyncSession
    ) -> None:
        try:
            booking, _resource, _user = await svc.get_booking(session, callback_data.id)
        except DomainError as error:
            await callback.answer(err(error), show_alert=True)
            return
        rejecting = callback_data.a == "rej"
        allowed = (
            booking.status == BookingStatus.PENDING
            if rejecting
            else booking.status in (BookingStatus.PENDING, BookingStatus.CONFIRMED)
        )
        if not allowed:
            await callback.answer(
                _("booking.err_decided" if rejecting else "booking.err_not_active"), show_alert=True
            )
            return
        await callback.answer()
        await state.set_state(StaffBook.reject_reason if rejecting else StaffBook.cancel_reason)
        await state.update_data(bid=booking.id, card=target(callback).message_id)
        await target(callback).answer(
            _("booking.adm_ask_reject_reason" if rejecting else "booking.adm_ask_cancel_reason").format(
                id=booking.id
            ),
            reply_markup=kb.staff_nav(),
        )

    @router.message(StaffBook.reject_reason, F.text, ~F.text.startswith("/"))
    async def reject_with_reason(
        message: Message, state: FSMContext, session: AsyncSession, settings: Any, bot: Bot, i18n: I18n
    ) -> None:
        data = await state.get_data()
        assert message.from_user is not None
        try:
            changed = await svc.decide(
                session,
                int(data["bid"]),
                message.from_user.id,
                approve=False,
                reason=message.text,
                tz=settings.tz,
            )
        except ValidationFailed as error:
            await message.answer(err(error), reply_markup=kb.staff_nav())
            return
        except DomainError as error:
            await state.clear()
            await message.answer(err(error))
            return
        await state.clear()
        await _drop_buttons(bot, message.chat.id, data.get("card"))
        booking, resource, user = changed.booking, changed.resource, changed.user
        delivered = await tell_person(
            bot,
            i18n,
            user,
            lambda: _("booking.rejected").format(
                resource=hd.quote(resource.title(user.language if user else None)),
                when=fmt_when(booking, settings),
                reason=hd.quote(booking.reason or ""),
            ),
        )
        await message.answer(
            _("booking.adm_rejected").format(id=booking.id)
            + ("" if delivered else "\n" + _("booking.adm_not_delivered"))
        )

    @router.message(StaffBook.cancel_reason, F.text, ~F.text.startswith("/"))
    async def cancel_with_reason(
        message: Message, state: FSMContext, session: AsyncSession, settings: Any, bot: Bot, i18n: I18n
    ) -> None:
        data = await state.get_data()
        assert message.from_user is not None
        try:
            changed = await svc.cancel_by_staff(
                session, int(data["bid"]), message.from_user.id, message.text or ""
            )
        except ValidationFailed as error:
            await message.answer(err(error), reply_markup=kb.staff_nav())
            return
        except DomainError as error:
            await state.clear()
            await message.answer(err(error))
            return
        await state.clear()
        await _drop_buttons(bot, message.chat.id, data.get("card"))
        booking, resource, user = changed.booking, changed.resource, changed.user
        delivered = await tell_person(
            bot,
            i18n,
            user,
            lambda: _("booking.cancelled_by_staff").format(
                resource=hd.quote(resource.title(user.language if user else None)),
                when=fmt_when(booking, settings),
                reason=hd.quote(booking.reason or ""),
            ),
        )
        text = _("booking.adm_cancelled").format(id=booking.id)
        if booking.user_id is None:
            text += "\n" + _("booking.adm_call_guest").format(
                name=hd.quote(booking.guest_name or ""), phone=hd.quote(booking.guest_phone or "")
            )
        elif not delivered:
            text += "\n" + _("booking.adm_not_delivered")
        await message.answer(text)

    @router.callback_query(StaffBk.filter(F.a == "ns"))
    async def no_show(callback: CallbackQuery, callback_data: StaffBk, session: AsyncSession) -> None:
        try:
            changed = await svc.mark_no_show(session, callback_data.id, callback.from_user.id)
        except DomainError as error:
            await callback.answer(err(error), show_alert=True)
            return
        await callback.answer(_("booking.adm_no_show_done").format(id=changed.booking.id), show_alert=True)

    # --- booking on behalf of a resident without Telegram --------------------------------------------

    @router.callback_query(StaffBk.filter(F.a == "new"))
    async def guest_times(
        callback: CallbackQuery,
        callback_data: StaffBk,
        state: FSMContext,
        session: AsyncSession,
        settings: Any,
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
        items = [
            (
                s.start.astimezone(settings.tz).strftime("%H:%M")
                + (f" · {s.left}" if resource.capacity > 1 else ""),
                str(int(s.start.timestamp()) // 60),
            )
            for s in options
        ]
        await target(callback).answer(
            _("booking.adm_guest_time").format(resource=hd.quote(resource.name), day=fmt_day(day)),
            reply_markup=kb.staff_choices(items, "gt", resource.id, width=3 if resource.capacity > 1 else 4),
        )

    @router.callback_query(StaffBk.filter(F.a == "gt"))
    async def guest_durations(
        callback: CallbackQuery,
        callback_data: StaffBk,
        state: FSMContext,
        session: AsyncSession,
        settings: Any,
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
        await target(callback).answer(
            _("booking.adm_guest_duration").format(time=start.astimezone(settings.tz).strftime("%H:%M")),
            reply_markup=kb.staff_choices(
                [(kb.minutes_label(m), f"{callback_data.v}-{m}") for m in options], "gd", resource.id, width=3
            ),
        )

    @router.callback_query(StaffBk.filter(F.a == "gd"))
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

    @router.message(StaffBook.guest_name, F.text, ~F.text.startswith("/"))
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

    @router.message(StaffBook.guest_phone, F.text, ~F.text.startswith("/"))
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
        except ValidationFailed as error:
            await message.answer(err(error), reply_markup=kb.staff_nav())
            return
        except DomainError as error:
            await state.clear()
            await message.answer(err(error))
            return
        await state.clear()
        booking, resource, user = await svc.get_booking(session, booking.id)
        await message.answer(
            _("booking.adm_guest_done") + "\n\n" + staff_card(booking, resource, user, settings),
            reply_markup=_card_keyboard(booking),
        )

    # --- resources' settings -------------------------------------------------------------------------

    async def show_settings_list(message: Message, session: AsyncSession) -> None:
        items = await svc.resources(session, include_inactive=True)
        await message.answer(
            _("booking.adm_settings_pick"),
            reply_markup=kb.settings_list_keyboard(
                [(r.id, r.name + ("" if r.active else " " + _("booking.adm_off_mark"))) for r in items]
            ),
        )

    async def show_resource(message: Message, resource: Resource) -> None:
        await message.answer(
            resource_settings_text(resource),
            reply_markup=kb.resource_settings_keyboard(resource.id, resource.needs_approval, resource.active),
        )

    @router.callback_query(StaffBk.filter(F.a == "set"))
    async def settings_list(callback: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
        await callback.answer()
        await state.clear()
        await show_settings_list(target(callback), session)

    @router.callback_query(StaffBk.filter(F.a == "res"))
    async def resource_card(callback: CallbackQuery, callback_data: StaffBk, session: AsyncSession) -> None:
        try:
            resource = await svc.get_resource(session, callback_data.id, active_only=False)
        except DomainError as error:
            await callback.answer(err(error), show_alert=True)
            return
        await callback.answer()
        await show_resource(target(callback), resource)

    @router.callback_query(StaffBk.filter(F.a == "tog"))
    async def toggle(callback: CallbackQuery, callback_data: StaffBk, session: AsyncSession) -> None:
        if callback_data.v not in ("needs_approval", "active"):
            await callback.answer(_("common.stale_button"), show_alert=True)
            return
        try:
            resource = await svc.get_resource(session, callback_data.id, active_only=False)
            resource = await svc.update_resource(
                session,
                resource.id,
                callback.from_user.id,
                callback_data.v,
                not getattr(resource, callback_data.v),
            )
        except DomainError as error:
            await callback.answer(err(error), show_alert=True)
            return
        await callback.answer(_("booking.adm_saved"))
        await show_resource(target(callback), resource)

    @router.callback_query(StaffBk.filter(F.a == "edit"))
    async def ask_value(
        callback: CallbackQuery, callback_data: StaffBk, state: FSMContext, session: AsyncSession
    ) -> None:
        if callback_data.v not in kb.EDITABLE:
            await callback.answer(_("common.stale_button"), show_alert=True)
            return
        try:
            resource = await svc.get_resource(session, callback_data.id, active_only=False)
        except DomainError as error:
            await callback.answer(err(error), show_alert=True)
            return
        await callback.answer()
        await state.set_state(StaffBook.edit_value)
        await state.update_data(rid=resource.id, field=callback_data.v)
        if callback_data.v in MINUTE_FIELDS:
            hint = _("booking.adm_ask_minutes")
        elif callback_data.v in ("name", "name_en"):
            hint = _("booking.adm_ask_name")
        elif callback_data.v == "hours":
            hint = _("booking.adm_ask_hours")
        elif callback_data.v == "closed_dates":
            hint = _("booking.adm_ask_closed")
        else:
            hint = _("booking.adm_ask_number")
        await target(callback).answer(
            _("booking.adm_editing").format(
                field=_(f"booking.field.{callback_data.v}"), resource=hd.quote(resource.name)
            )
            + "\n"
            + hint,
            reply_markup=kb.staff_nav(),
        )

    @router.message(StaffBook.edit_value, F.text, ~F.text.startswith("/"))
    async def save_value(message: Message, state: FSMContext, session: AsyncSession, settings: Any) -> None:
        data = await state.get_data()
        field_name = data["field"]
        text = (message.text or "").strip()
        assert message.from_user is not None
        try:
            resource = await svc.get_resource(session, int(data["rid"]), active_only=False)
            value: Any
            if field_name in svc.NUMERIC_FIELDS:
                if not re.fullmatch(r"\d{1,6}", text):
                    low, high = svc.NUMERIC_FIELDS[field_name]
                    raise ValidationFailed("booking.err_res_range", low=low, high=high)
                value = int(text)
            elif field_name == "hours":
                value = parse_hours(text, resource.hours or {})
            elif field_name == "closed_dates":
                today = svc.local_today(svc.utcnow(), settings.tz)
                current = set(resource.closed_dates or [])
                for part in re.split(r"[\s,;]+", text):
                    if part:
                        day = parse_staff_date(part, today).isoformat()
                        current ^= {day}
                value = sorted(d for d in current if date.fromisoformat(d) >= today - timedelta(days=366))
            else:
                value = text
            resource = await svc.update_resource(
                session, resource.id, message.from_user.id, field_name, value
            )
        except DomainError as error:
            await message.answer(err(error), reply_markup=kb.staff_nav())
            return
        await state.clear()
        await message.answer(_("booking.adm_saved"))
        await show_resource(message, resource)

    @router.callback_query(StaffBk.filter(F.a == "add"))
    async def ask_new_name(callback: CallbackQuery, state: FSMContext) -> None:
        await callback.answer()
        await state.set_state(StaffBook.new_name)
        await target(callback).answer(_("booking.adm_new_resource"), reply_markup=kb.staff_nav())

    @router.message(StaffBook.new_name, F.text, ~F.text.startswith("/"))
    async def add_resource(message: Message, state: FSMContext, session: AsyncSession) -> None:
        assert message.from_user is not None
        try:
            resource = await svc.create_resource(session, message.from_user.id, message.text or "")
        except DomainError as error:
            await message.answer(err(error), reply_markup=kb.staff_nav())
            return
        await state.clear()
        await message.answer(_("booking.adm_saved"))
        await show_resource(message, resource)

    # --- dialog housekeeping ---------------------------------------------------------------------------

    @router.message(StaffBook.guest_pick, ~F.text.startswith("/"))
    async def buttons_only(message: Message) -> None:
        await message.answer(_("booking.use_buttons"), reply_markup=kb.staff_nav())

    @router.message(staff_states, ~F.text.startswith("/"))
    async def text_only(message: Message) -> None:
        await message.answer(_("booking.adm_text_only"), reply_markup=kb.staff_nav())

    @router.callback_query(staff_states, NavCb.filter())
    async def staff_cancel(callback: CallbackQuery, state: FSMContext) -> None:
        await state.clear()
        await callback.answer()
        await target(callback).answer(_("common.cancelled"))

    return router


async def _drop_buttons(bot: Bot, chat_id: int, message_id: int | None) -> None:
    """A decided card loses its buttons, so nobody decides on it again by mistake."""
    if not message_id:
        return
    try:
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None)
    except TelegramAPIError:
        pass  # too old to edit, or already without buttons: the server-side checks still hold


def _card_keyboard(booking: Booking):
    now = svc.utcnow()
    return kb.staff_booking_keyboard(
        booking.id,
        pending=booking.status == BookingStatus.PENDING,
        active=booking.status in (BookingStatus.PENDING, BookingStatus.CONFIRMED) and booking.end_at > now,
        started=booking.start_at <= now,
    )

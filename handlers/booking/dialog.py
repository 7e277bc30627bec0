"""/book on the form engine: resource → day (calendar) → start → duration → purpose → preview with
«Забронировать». Every choice is offered from what is free now and checked again when pressed; a
step that would have nothing to offer keeps the person on the step before it with the reason."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd

from bot.desk import Desk
from db.models import Booking, BookingStatus, Resource, User
from handlers import forms
from handlers.booking.views import (
    err,
    fmt_day,
    request_keyboard,
    resource_title,
    send_confirmation,
    staff_card,
    summary,
)
from handlers.common import acknowledge, target
from handlers.forms import PREVIEW, Form, FormContext, Reask, Step, text_step
from handlers.workspace import staff_thread
from keyboards import booking as kb
from keyboards.booking import BookCb, BookStep
from keyboards.common import require_id
from keyboards.menu import MenuAction, home_only
from services import booking as svc
from services.errors import DomainError, ValidationFailed
from services.plural import plural

log = logging.getLogger(__name__)


def start_of(draft: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(draft["start"]) * 60, tz=UTC)


async def resource_of(ctx: FormContext) -> Resource:
    return await svc.get_resource(ctx.session, int(ctx.draft["rid"]), active_only=False)


async def durations(ctx: FormContext, resource: Resource, start: datetime) -> tuple[list[int], Any]:
    day, tz = date.fromisoformat(ctx.draft["day"]), ctx.settings.tz
    slots = await svc.slots_of_day(ctx.session, resource, day, tz=tz, user_id=ctx.user.id)
    quota = await svc.quota_left(ctx.session, resource, ctx.user, day, tz=tz)
    return svc.duration_options(resource, slots, start, limit=quota.minutes), quota


async def start_options(ctx: FormContext, resource: Resource, day: date) -> list[Any]:
    slots = await svc.slots_of_day(ctx.session, resource, day, tz=ctx.settings.tz, user_id=ctx.user.id)
    return svc.start_options(resource, slots)


# --- resource -------------------------------------------------------------------------------------------


async def resource_prompt(ctx: FormContext) -> str:
    lines = [_("booking.ask_resource")]
    for resource in await svc.bookable_resources(ctx.session):
        name = resource_title(resource, ctx.user)
        if resource.needs_approval:
            lines.append(_("booking.res_line_approval").format(name=name))
        elif resource.capacity == 1 and resource.people:  # a room booked whole: how many it holds
            lines.append(plural(_, "flows.booking.res_line_room", resource.people, name=name))
        else:
            lines.append(_("booking.res_line").format(name=name, capacity=resource.capacity))
    return "\n".join(lines)


async def resource_choices(ctx: FormContext) -> list[tuple[str, str]]:
    return [(r.title(ctx.user.language), str(r.id)) for r in await svc.bookable_resources(ctx.session)]


async def pick_resource(raw: str, ctx: FormContext) -> int:
    try:
        resource = await svc.get_resource(ctx.session, require_id(raw))
    except (DomainError, ValueError) as exc:
        raise ValidationFailed("booking.err_resource_gone") from exc
    if resource.code in svc.CATALOGUE_ONLY:
        raise ValidationFailed("booking.err_resource_gone")
    if not await svc.bookable_days(ctx.session, resource, tz=ctx.settings.tz, user_id=ctx.user.id):
        name = resource_title(resource, ctx.user)
        raise ValidationFailed("booking.no_days", resource=name, n=resource.horizon_days)
    ctx.extra.pop("month", None)
    return resource.id


# --- day: a month's calendar ------------------------------------------------------------------------------


async def day_prompt(ctx: FormContext) -> str:
    resource = await resource_of(ctx)
    text = plural(_, "booking.ask_day", resource.horizon_days, resource=resource_title(resource, ctx.user))
    return text + ("\n" + _("booking.approval_note") if resource.needs_approval else "")


async def calendar(ctx: FormContext) -> list[list[tuple[str, str]]]:
    resource = await resource_of(ctx)
    tz = ctx.settings.tz
    days = await svc.bookable_days(ctx.session, resource, tz=tz, user_id=ctx.user.id)
    first, last = svc.window(resource, svc.utcnow(), tz)
    shown = ctx.extra.get("month") or (days[0] if days else first).strftime("%Y%m")
    return kb.calendar_rows(int(shown[:4]), int(shown[4:]), set(days), first, last)


async def pick_day(raw: str, ctx: FormContext) -> str:
    if raw == kb.INERT:
        raise Reask
    if raw.startswith(kb.MONTH):
        ctx.extra["month"] = raw.removeprefix(kb.MONTH)
        raise Reask
    day = kb.parse_day(raw)
    if not await start_options(ctx, await resource_of(ctx), day):
        raise ValidationFailed("booking.day_full")
    return day.isoformat()


# --- start and length -------------------------------------------------------------------------------------


async def time_prompt(ctx: FormContext) -> str:
    resource = await resource_of(ctx)
    day = date.fromisoformat(ctx.draft["day"])
    text = _("booking.ask_time").format(resource=resource_title(resource, ctx.user), day=fmt_day(day))
    if resource.capacity > 1:
        text += "\n" + _("booking.places_hint").format(capacity=resource.capacity)
    return text


async def times(ctx: FormContext) -> list[list[tuple[str, str]]]:
    resource = await resource_of(ctx)
    options = await start_options(ctx, resource, date.fromisoformat(ctx.draft["day"]))
    several = resource.capacity > 1
    items = []
    for slot in options:
        label = slot.start.astimezone(ctx.settings.tz).strftime("%H:%M")
        if several:
            label = _("booking.slot_places").format(time=label, left=slot.left)
        items.append((label, str(int(slot.start.timestamp()) // 60)))
    width = 2 if several else 4
    return [items[i : i + width] for i in range(0, len(items), width)]


async def pick_time(raw: str, ctx: FormContext) -> int:
    resource = await resource_of(ctx)
    options, quota = await durations(ctx, resource, datetime.fromtimestamp(int(raw) * 60, tz=UTC))
    if options:
        return int(raw)
    if quota is not None and quota.minutes is not None and quota.minutes < resource.min_minutes:
        key = "booking.err_quota_org" if quota.reason == "org" else "booking.err_quota"
        limit, left = kb.minutes_label(quota.limit), kb.minutes_label(quota.minutes)
        raise Reask(key, at="day", limit_min=limit, left_min=left)
    raise Reask("booking.err_taken")


async def duration_prompt(ctx: FormContext) -> str:
    resource, start = await resource_of(ctx), start_of(ctx.draft)
    text = _("booking.ask_duration").format(
        resource=resource_title(resource, ctx.user),
        day=fmt_day(date.fromisoformat(ctx.draft["day"])),
        time=start.astimezone(ctx.settings.tz).strftime("%H:%M"),
    )
    _options, quota = await durations(ctx, resource, start)
    if quota is not None and quota.minutes is not None and quota.minutes < resource.max_minutes:
        text += "\n" + _("booking.quota_hint").format(left=kb.minutes_label(quota.minutes))
    return text


async def duration_choices(ctx: FormContext) -> list[tuple[str, str]]:
    options, _quota = await durations(ctx, await resource_of(ctx), start_of(ctx.draft))
    return [(kb.minutes_label(minutes), str(minutes)) for minutes in options]


# --- the preview and the booking --------------------------------------------------------------------------


async def preview(ctx: FormContext) -> str:
    resource, draft, tz = await resource_of(ctx), ctx.draft, ctx.settings.tz
    start, minutes = start_of(draft), int(draft["minutes"])
    local, end = start.astimezone(tz), (start + timedelta(minutes=minutes)).astimezone(tz)
    when = f"{fmt_day(date.fromisoformat(draft['day']))}, {local:%H:%M}–{end:%H:%M}"
    lines = [
        _("booking.ask_confirm"),
        "",
        _("booking.sum_resource").format(resource=resource_title(resource, ctx.user)),
        _("booking.sum_when").format(when=when),
        _("booking.sum_duration").format(duration=kb.minutes_label(minutes)),
    ]
    if draft.get("purpose"):
        lines.append(_("booking.sum_purpose").format(purpose=hd.quote(draft["purpose"])))
    if resource.needs_approval:
        lines.append(_("booking.approval_note"))
    return "\n".join(lines)


async def confirms(ctx: FormContext) -> list[tuple[str, str]]:
    """«Забронировать», or «Отправить запрос» where staff approve."""
    return [("booking.btn_request" if (await resource_of(ctx)).needs_approval else "booking.btn_book", "")]


async def notify_staff_request(desk: Desk, booking: Booking, resource: Resource, user: User) -> None:
    """A pending request: a card with «Подтвердить» / «Отклонить» in the admin chat (its «Бронирования»
    topic when the chat is a forum)."""
    if desk.settings.admin_chat_id is None:
        return
    thread = await staff_thread(desk, "bookings")
    try:
        await desk.bot.send_message(
            desk.settings.admin_chat_id,
            _("booking.adm_new_request") + "\n\n" + staff_card(booking, resource, user, desk.settings),
            reply_markup=request_keyboard(booking),
            message_thread_id=thread,
        )
    except TelegramAPIError:
        log.warning("could not post booking request %s to the admin chat", booking.id, exc_info=True)


async def book(ctx: FormContext) -> str | None:
    """«Забронировать»: the booking (or the request) is made; a place taken meanwhile → fresh times."""
    draft, user, settings = ctx.draft, ctx.user, ctx.settings
    try:
        booking = await svc.create_booking(
            ctx.session,
            resource_id=int(draft["rid"]),
            user=user,
            start=start_of(draft),
            minutes=int(draft["minutes"]),
            purpose=draft.get("purpose"),
            tz=settings.tz,
            pending_limit=settings.approval_pending_limit,
        )
    except DomainError as error:
        await ctx.session.refresh(user)  # the failed write rolled back and expired it
        await ctx.message.answer(err(error))
        return "time" if isinstance(error, svc.SlotTaken) else PREVIEW
    await ctx.state.clear()
    resource = await svc.get_resource(ctx.session, booking.resource_id, active_only=False)
    if booking.status != BookingStatus.PENDING:
        await send_confirmation(ctx.bot, ctx.message.chat.id, booking, resource, user, settings)
        return None
    await ctx.message.answer(
        _("booking.requested") + "\n\n" + summary(booking, resource, user, settings),
        reply_markup=kb.booking_keyboard(booking.id),
    )
    await notify_staff_request(ctx.desk, booking, resource, user)
    return None


BUTTONS = "booking.use_buttons"
STEPS = (
    Step(
        "resource",
        resource_prompt,
        choices=resource_choices,
        pick=pick_resource,
        width=1,
        hint=BUTTONS,
        field="rid",
    ),
    Step("day", day_prompt, rows=calendar, pick=pick_day, hint=BUTTONS, field="day"),
    Step("time", time_prompt, rows=times, pick=pick_time, hint=BUTTONS, field="start"),
    Step(
        "duration",
        duration_prompt,
        choices=duration_choices,
        pick=lambda raw, ctx: int(raw),
        width=3,
        hint=BUTTONS,
        field="minutes",
        label="booking.edit_duration",
    ),
    text_step(
        "purpose",
        "booking.ask_purpose",
        svc.PURPOSE_MAX,
        svc.clean_purpose,
        optional=True,
        hint="booking.purpose_text_only",
        label="booking.edit_purpose",
    ),
)
BOOK = Form(name="Book", steps=STEPS, finish=book, preview=preview, confirms=confirms)


# --- entry points ------------------------------------------------------------------------------------------


async def begin(event: Message | CallbackQuery, state: FSMContext, **data: Any) -> None:
    """/book, «Забронировать» in the main menu or under /my bookings: the dialog from its first step;
    with nothing to book, a short answer instead."""
    await acknowledge(event)
    if not await svc.bookable_resources(data["session"]):
        await state.clear()
        await target(event).answer(_("booking.no_resources"), reply_markup=home_only())
        return
    await forms.start(BOOK, event, state, data)


def register(router: Router) -> None:
    forms.register_dialog(router, BOOK, begin, "book", MenuAction.BOOK, BookCb.filter(F.a == BookStep.START))

"""The prompts of the /book dialog: each step's question and buttons, built from what is still free
when it is shown; a step with nothing left to choose sends the person one step back with a note."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Resource, User
from handlers.booking.states import Book
from handlers.booking.views import err, fmt_day, resource_title
from handlers.common import target
from keyboards import booking as kb
from services import booking as svc
from services.errors import DomainError

BACK = {
    Book.day.state: Book.resource,
    Book.time.state: Book.day,
    Book.duration.state: Book.time,
    Book.purpose.state: Book.duration,
    Book.confirm.state: Book.purpose,
}


@dataclass
class Turn:
    """One update of the dialog: where to answer and what the step needs."""

    event: Message | CallbackQuery
    state: FSMContext
    session: AsyncSession
    user: User
    settings: Any

    @classmethod
    def of(cls, event: Message | CallbackQuery, data: dict[str, Any]) -> Turn:
        return cls(event, data["state"], data["session"], data["user"], data["settings"])

    @property
    def message(self) -> Message:
        return target(self.event)


def start_of(data: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(data["start"]) * 60, tz=UTC)


async def resource_of(turn: Turn) -> Resource:
    data = await turn.state.get_data()
    return await svc.get_resource(turn.session, int(data["rid"]))


async def durations(turn: Turn, resource: Resource, day: date, start: datetime) -> tuple[list[int], Any]:
    tz = turn.settings.tz
    slots = await svc.slots_of_day(turn.session, resource, day, tz=tz, user_id=turn.user.id)
    quota = await svc.quota_left(turn.session, resource, turn.user, day, tz=tz)
    return svc.duration_options(resource, slots, start, limit=quota.minutes), quota


# --- the prompts of the steps -------------------------------------------------------------------------


async def ask_resource(turn: Turn, note: str | None) -> None:
    prefix = note + "\n\n" if note else ""
    items = await svc.resources(turn.session)
    if not items:
        await turn.state.clear()
        await turn.message.answer(prefix + _("booking.no_resources"))
        return
    lines = [_("booking.ask_resource")]
    for resource in items:
        key = "booking.res_line_approval" if resource.needs_approval else "booking.res_line"
        lines.append(_(key).format(name=resource_title(resource, turn.user), capacity=resource.capacity))
    await turn.message.answer(
        prefix + "\n".join(lines),
        reply_markup=kb.resources_keyboard([(r.id, r.title(turn.user.language)) for r in items]),
    )


async def ask_day(turn: Turn, resource: Resource, data: dict[str, Any], note: str | None) -> None:
    prefix = note + "\n\n" if note else ""
    tz, name = turn.settings.tz, resource_title(resource, turn.user)
    days = await svc.bookable_days(turn.session, resource, tz=tz, user_id=turn.user.id)
    if not days:
        note = prefix + _("booking.no_days").format(resource=name, days=resource.horizon_days)
        await go(turn, Book.resource, note=note)
        return
    first, last = svc.window(resource, svc.utcnow(), tz)
    shown = data.get("month") or days[0].strftime("%Y%m")
    year, month = int(shown[:4]), int(shown[4:])
    text = _("booking.ask_day").format(resource=name, days=resource.horizon_days)
    if resource.needs_approval:
        text += "\n" + _("booking.approval_note")
    await turn.message.answer(
        prefix + text, reply_markup=kb.calendar_keyboard(year, month, set(days), first, last)
    )


async def ask_time(turn: Turn, resource: Resource, data: dict[str, Any], note: str | None) -> None:
    tz, day = turn.settings.tz, date.fromisoformat(data["day"])
    slots = await svc.slots_of_day(turn.session, resource, day, tz=tz, user_id=turn.user.id)
    options = svc.start_options(resource, slots)
    if not options:
        await go(turn, Book.day, note=(note or "") + _("booking.day_full"))
        return
    text = _("booking.ask_time").format(resource=resource_title(resource, turn.user), day=fmt_day(day))
    if resource.capacity > 1:
        text += "\n" + _("booking.places_hint").format(capacity=resource.capacity)
    await turn.message.answer(
        (note + "\n\n" if note else "") + text,
        reply_markup=kb.times_keyboard([(s.start, s.left) for s in options], tz, resource.capacity > 1),
    )


async def ask_duration(turn: Turn, resource: Resource, data: dict[str, Any], note: str | None) -> None:
    day, start = date.fromisoformat(data["day"]), start_of(data)
    options, quota = await durations(turn, resource, day, start)
    if not options:
        if quota is not None and quota.minutes is not None and quota.minutes < resource.min_minutes:
            reason = _("booking.err_quota_org" if quota.reason == "org" else "booking.err_quota").format(
                limit_min=kb.minutes_label(quota.limit), left_min=kb.minutes_label(quota.minutes)
            )
            await go(turn, Book.day, note=reason)
            return
        await go(turn, Book.time, note=_("booking.err_taken"))
        return
    text = _("booking.ask_duration").format(
        resource=resource_title(resource, turn.user),
        day=fmt_day(day),
        time=start.astimezone(turn.settings.tz).strftime("%H:%M"),
    )
    if quota is not None and quota.minutes is not None and quota.minutes < resource.max_minutes:
        text += "\n" + _("booking.quota_hint").format(left=kb.minutes_label(quota.minutes))
    await turn.message.answer(
        (note + "\n\n" if note else "") + text, reply_markup=kb.durations_keyboard(options)
    )


async def ask_purpose(turn: Turn, resource: Resource, data: dict[str, Any], note: str | None) -> None:
    await turn.message.answer(
        (note + "\n\n" if note else "") + _("booking.ask_purpose").format(max=svc.PURPOSE_MAX),
        reply_markup=kb.purpose_keyboard(),
    )


async def ask_confirm(turn: Turn, resource: Resource, data: dict[str, Any], note: str | None) -> None:
    tz, day, start, minutes = (
        turn.settings.tz,
        date.fromisoformat(data["day"]),
        start_of(data),
        int(data["minutes"]),
    )
    local, end = start.astimezone(tz), (start + timedelta(minutes=minutes)).astimezone(tz)
    lines = [
        _("booking.ask_confirm"),
        "",
        _("booking.sum_resource").format(resource=resource_title(resource, turn.user)),
        _("booking.sum_when").format(when=f"{fmt_day(day)}, {local:%H:%M}–{end:%H:%M}"),
        _("booking.sum_duration").format(duration=kb.minutes_label(minutes)),
    ]
    if data.get("purpose"):
        lines.append(_("booking.sum_purpose").format(purpose=hd.quote(data["purpose"])))
    if resource.needs_approval:
        lines.append(_("booking.approval_note"))
    await turn.message.answer(
        (note + "\n\n" if note else "") + "\n".join(lines),
        reply_markup=kb.confirm_keyboard(resource.needs_approval),
    )


Ask = Callable[[Turn, Resource, dict[str, Any], "str | None"], Awaitable[None]]
ASKS: dict[str | None, Ask] = {
    Book.day.state: ask_day,
    Book.time.state: ask_time,
    Book.duration.state: ask_duration,
    Book.purpose.state: ask_purpose,
    Book.confirm.state: ask_confirm,
}


async def render(turn: Turn, note: str | None = None) -> None:
    """Show the current step (after a move, a «Назад», or input that did not fit)."""
    current = await turn.state.get_state()
    if current == Book.resource.state:
        await ask_resource(turn, note)
        return
    try:
        resource = await resource_of(turn)
    except DomainError as error:
        await go(turn, Book.resource, note=err(error))
        return
    ask = ASKS.get(current)
    if ask is not None:
        await ask(turn, resource, await turn.state.get_data(), note)


async def go(turn: Turn, step: State, note: str | None = None) -> None:
    await turn.state.set_state(step)
    await render(turn, note)


async def start_booking(turn: Turn) -> None:
    await turn.state.clear()
    await go(turn, Book.resource)

"""The scheduled ending of the broadcast dialog, as steps of its form (form.py): a day (a button or
typed, with or without the time), then a time (a button or typed); then the broadcast is created to
start then, moved out of the quiet hours."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from db.base import utcnow
from db.models import Broadcast
from handlers.broadcasts.views import quiet_window, show
from handlers.forms import PREVIEW, FormContext, Step, text_of
from keyboards import broadcasts as kb
from services import broadcasts as service
from services import dates
from services.errors import ValidationFailed
from services.plural import plural

_DATE = re.compile(r"^\s*(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?(?:[\s,]+(\d{1,2})[:.\s](\d{2}))?\s*$")
_TIME = re.compile(r"^\s*(\d{1,2})[:.\s](\d{2})\s*$")


def parse_day(text: str, today: date) -> tuple[date, dtime | None] | None:
    match = _DATE.match(text or "")
    if match is None:
        return None
    day_s, month_s, year_s, hour_s, minute_s = match.groups()
    year = int(year_s) if year_s else today.year
    if year < 100:
        year += 2000
    try:
        day = date(year, int(month_s), int(day_s))
        at = dtime(int(hour_s), int(minute_s)) if hour_s is not None else None
    except ValueError:
        return None
    if not year_s and day < today:
        day = day.replace(year=today.year + 1)
    return day, at


def parse_time(text: str) -> dtime | None:
    match = _TIME.match(text or "")
    if match is None:
        return None
    try:
        return dtime(int(match.group(1)), int(match.group(2)))
    except ValueError:
        return None


def _today(settings: Settings) -> date:
    return utcnow().astimezone(settings.tz).date()


# --- the day --------------------------------------------------------------------------------------


def pick_day(value: str, ctx: FormContext) -> str:
    today = _today(ctx.settings)
    day = date.fromisoformat(value)
    if not today <= day <= today + timedelta(days=service.SCHEDULE_MAX_DAYS):
        raise ValidationFailed("broadcast.bad_day")
    ctx.draft.pop("typed_at", None)
    return value


def parse_day_typed(message: Message, ctx: FormContext) -> str:
    """A typed date, maybe with the time (then the time is not asked)."""
    today = _today(ctx.settings)
    parsed = parse_day(text_of(message), today)
    if parsed is None:
        raise ValidationFailed("broadcast.bad_day")
    day, at = parsed
    if day > today + timedelta(days=service.SCHEDULE_MAX_DAYS):
        raise ValidationFailed("broadcast.time_far", n=service.SCHEDULE_MAX_DAYS)
    if at is None:
        ctx.draft.pop("typed_at", None)
    else:
        ctx.draft.update(at=at.strftime("%H:%M"), typed_at=True)
    return day.isoformat()


def back_to_preview(ctx: FormContext) -> str:
    """«Назад» from the day: the preview again, nothing scheduled."""
    for key in ("scheduling", "day", "at", "typed_at"):
        ctx.draft.pop(key, None)
    return PREVIEW


# --- the time -------------------------------------------------------------------------------------


def time_prompt(ctx: FormContext) -> str:
    start, end = quiet_window(ctx.settings)
    day = date.fromisoformat(ctx.draft["day"])
    return _("broadcast.ask_time").format(day=dates.day_text(day, _), start=start, end=end)


def time_choices(ctx: FormContext) -> list[tuple[str, str]]:
    now = utcnow().astimezone(ctx.settings.tz)
    day = date.fromisoformat(ctx.draft["day"])
    return [(t, t.replace(":", "")) for t in kb.QUICK_TIMES if day > now.date() or t > now.strftime("%H:%M")]


def parse_time_typed(message: Message, ctx: FormContext) -> str:
    at = parse_time(text_of(message))
    if at is None:
        raise ValidationFailed("broadcast.bad_time")
    return at.strftime("%H:%M")


def _scheduling(draft: dict[str, Any]) -> bool:
    return bool(draft.get("scheduling"))


STEPS = (
    Step(
        "day",
        lambda ctx: _("broadcast.ask_day").format(tz=ctx.settings.timezone),
        choices=lambda ctx: kb.day_choices(_today(ctx.settings)),
        pick=pick_day,
        parse=parse_day_typed,
        skip_if=lambda draft: not _scheduling(draft),
        on_back=back_to_preview,
    ),
    Step(
        "time",
        time_prompt,
        choices=time_choices,
        pick=lambda value, ctx: f"{value[:2]}:{value[2:]}",
        parse=parse_time_typed,
        width=4,
        skip_if=lambda draft: not _scheduling(draft) or bool(draft.get("typed_at")),
        field="at",
    ),
)


async def create(ctx: FormContext, data: dict[str, Any], start_at: datetime | None = None) -> Broadcast:
    """The broadcast the dialog's answers describe: the staff member's message to copy, its kind and
    excerpt, the audience; to start now, or at ``start_at``."""
    return await service.create(
        ctx.session,
        staff_tg_id=ctx.from_id,
        source_chat_id=data["chat"],
        source_message_id=data["msg"],
        content_kind=data["kind"],
        excerpt=data["excerpt"],
        audience=data["aud"],
        start_at=start_at,
    )


async def schedule(ctx: FormContext, data: dict[str, Any]) -> None:
    """Create the broadcast to start at the chosen day and time (after the quiet hours)."""
    settings, tz = ctx.settings, ctx.settings.tz
    at = parse_time(ctx.draft["at"])
    assert at is not None
    wanted = datetime.combine(date.fromisoformat(ctx.draft["day"]), at, tzinfo=tz).astimezone(UTC)
    start_at = service.after_quiet_hours(wanted, settings.quiet_hours_start, settings.quiet_hours_end, tz)
    count = await service.count_audience(ctx.session, data["aud"])
    row = await create(ctx, data, start_at)
    await ctx.state.clear()
    when = kb.local(row.start_at, tz)
    text = plural(_, "broadcast.scheduled", count, id=row.id, when=when)
    if start_at != wanted:
        start, end = quiet_window(settings)
        text += "\n" + _("broadcast.quiet_shifted").format(start=start, end=end, when=when)
    await show(ctx.event, text, kb.control_keyboard(row.id, row.status))

"""Texts and small senders shared by the person's and the staff side of events."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import segno
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd

from db.models import Event, EventSignup, EventStatus, User
from handlers.common import target
from keyboards.menu import with_home
from services import events as ev
from services import ics

CAPTION_MAX = 1024
LABEL_MAX = 48


def offer_ttl(settings: Any) -> timedelta:
    return timedelta(hours=float(getattr(settings, "event_offer_hours", 12)))


def short(text: str, limit: int = LABEL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def reply(
    event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None, edit: bool = False
) -> None:
    """Edit the pressed message when it is a text message, else send a new one. In a private chat the
    buttons end in «🏠 Меню»."""
    message = target(event)
    if message.chat.type == "private":
        markup = with_home(markup)  # every list and card of a person has the way back to the menu
    if edit and isinstance(event, CallbackQuery) and message.text is not None:
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest:
            pass
    await message.answer(text, reply_markup=markup)


async def drop_buttons(callback: CallbackQuery) -> None:
    """Remove the buttons of a message once answered (an offer, a reminder, a confirmation)."""
    try:
        await target(callback).edit_reply_markup(reply_markup=None)
    except TelegramBadRequest:
        pass


# --- the person's card ------------------------------------------------------------------------------


def places_line(event: Event, held: int) -> str:
    if event.capacity is None:
        return _("events.places_unlimited")
    left = ev.places_left(event, held) or 0
    if left == 0:
        return _("events.places_none")
    return _("events.places_left").format(left=left, capacity=event.capacity)


def place_line(event: Event, show_link: bool) -> str:
    if event.place_kind == "online":
        if show_link:
            return _("events.place_online_link").format(url=hd.quote(event.place))
        return _("events.place_online")
    return _("events.place").format(place=hd.quote(event.place))


def _status_lines(signup: EventSignup | None, status: str | None, position: int) -> list[str]:
    if status == "confirmed":
        return ["", _("events.you_confirmed")]
    if status == "offered" and signup is not None and signup.offer_expires_at is not None:
        return ["", _("events.you_offered").format(until=ev.fmt_dt(signup.offer_expires_at, gettext=_))]
    if status == "waiting":
        return ["", _("events.you_waiting").format(position=position)]
    return []


def render_card(event: Event, held: int, signup: EventSignup | None, position: int = 0) -> str:
    status = (
        signup.status if signup is not None and signup.status in ("confirmed", "offered", "waiting") else None
    )
    lines = [
        f"<b>{hd.quote(event.title)}</b>",
        _(f"events.kind_{event.kind}"),
        _("events.when").format(when=ev.fmt_when(event, gettext=_)),
        place_line(event, show_link=status == "confirmed"),
    ]
    if event.status == EventStatus.CANCELLED:
        lines.append(_("events.card_cancelled"))
    else:
        lines.append("👥 " + places_line(event, held))
        lines.append(_("events.deadline").format(deadline=ev.fmt_dt(event.reg_deadline, gettext=_)))
    if event.audience:
        groups = ", ".join(_("group." + g) for g in event.audience)
        lines.append(_("events.audience").format(groups=groups))
    if event.description:
        lines += ["", hd.quote(event.description)]
    return "\n".join(lines + _status_lines(signup, status, position))


def list_item(number: int, event: Event, held: int) -> str:
    place = (
        _("events.place_online_short") if event.place_kind == "online" else hd.quote(short(event.place, 60))
    )
    return _("events.list_item").format(
        n=number,
        title=hd.quote(event.title),
        when=ev.fmt_when(event, gettext=_),
        place=place,
        places=places_line(event, held),
    )


def event_ics(event: Event) -> BufferedInputFile:
    data = ics.event_ics(
        uid=f"event-{event.id}@ccbot",
        start=event.starts_at,
        end=event.ends_at,
        summary=event.title,
        location=event.place,
        description=event.description[:1000] or None,
        alarm_minutes=60,
    )
    return BufferedInputFile(data, filename=ics.filename("event", event.id))


def checked_in_text(result: ev.CheckinResult, user: User) -> str:
    if result.already:
        text = _("events.checked_in_already")
    elif result.walk_in:
        text = _("events.checked_in_walk_in")
    else:
        text = _("events.checked_in")
    return text.format(title=hd.quote(result.event.title), name=hd.quote(user.first_name))


# --- the staff side ---------------------------------------------------------------------------------


def staff_card_text(event: Event, counts: dict[str, int], link: str) -> str:
    capacity = str(event.capacity) if event.capacity is not None else _("events.unlimited")
    lines = [
        f"<b>{hd.quote(event.title)}</b> (#{event.id})",
        _("events.staff_status").format(status=_(f"events.estatus_{event.status}")),
        _(f"events.kind_{event.kind}"),
        _("events.when").format(when=ev.fmt_when(event, gettext=_)),
        _("events.place").format(place=hd.quote(event.place)),
        _("events.staff_counts").format(
            confirmed=counts.get("confirmed", 0),
            offered=counts.get("offered", 0),
            waiting=counts.get("waiting", 0),
            checked_in=counts.get("checked_in", 0),
            capacity=capacity,
        ),
        _("events.deadline").format(deadline=ev.fmt_dt(event.reg_deadline, gettext=_)),
        _("events.staff_link").format(link=hd.quote(link)),
    ]
    if counts.get("rated"):
        average = f"{counts['rating_x10'] / 10:.1f}"
        lines.insert(6, _("events.staff_rating").format(count=counts["rated"], average=average))
    return "\n".join(lines)


def staff_list_label(event: Event, held: int) -> str:
    mark = {"draft": "📝", "published": "📢", "cancelled": "❌"}.get(event.status, "")
    label = f"{mark} {ev.fmt_dt(event.starts_at, gettext=_)} {event.title}"
    if event.capacity is not None:
        label += f" ({held}/{event.capacity})"
    return label[:60]


def feedback_lines(event: Event, rows: list[Any]) -> list[str]:
    lines = [_("events.feedback_title").format(title=hd.quote(event.title))]
    for signup, person in rows:
        line = f"{'⭐' * (signup.rating or 0)} {hd.quote(person.full_name or '—')}"
        if signup.comment:
            line += f"\n    «{hd.quote(signup.comment[:300])}»"
        lines.append(line)
    return lines


async def bot_link(bot: Bot, payload: str) -> str:
    me = await bot.me()
    return f"https://t.me/{me.username}?start={payload}"


def qr_png(link: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=10, border=3)
    return buffer.getvalue()

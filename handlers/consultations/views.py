"""Texts of consultations both sides show: the staff card, statuses, places, ages, history lines; and
what a message carries (text, photo, document); who pressed, and a refusal shown to them."""

from __future__ import annotations

import html
from collections.abc import Awaitable
from datetime import datetime
from typing import Any, TypeVar

from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.messenger import TELEGRAM
from db.models import Consultation, ConsultationTopic
from db.models.consultations import OPEN_STATUSES
from handlers.common import error_text
from handlers.staff_acted import acted_line
from keyboards.consultations import card_keyboard
from services import consultations as svc
from services import dates
from services.errors import DomainError
from services.numbers import number
from services.plural import plural

T = TypeVar("T")

TEXT_LIMIT = 3500


def num(consultation_id: int) -> str:
    """The request's number as everyone sees it: «К-12»."""
    return number("consultation", consultation_id)


def quote_cut(text: str | None, limit: int = TEXT_LIMIT) -> str:
    """HTML-escape ``text``, cut so that the escaped form stays within ``limit`` characters."""
    raw = text or ""
    quoted = html.escape(raw, quote=False)
    while len(quoted) > limit:
        raw = raw[: max(0, len(raw) - (len(quoted) - limit) // 5 - 1)]
        quoted = html.escape(raw, quote=False) + "…"
    return quoted


def join_limited(lines: list[str], limit: int = 3900) -> str:
    """Lines joined, whole lines only, within one Telegram message (a cut never splits HTML)."""
    out: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit:
            out.append("…")
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)


def local(moment: datetime | None, settings: Any, with_time: bool = True) -> str:
    """«пт, 5 декабря, 14:00» (or the day alone) in the Center's zone: the bot's one date style."""
    if moment is None:
        return "—"
    if with_time:
        return dates.moment_text(moment, settings.tz, _)
    return dates.day_text(moment.astimezone(settings.tz).date(), _)


def place_text(place: str | None, settings: Any) -> str:
    """The meeting place as the reader should see it (codes are rendered in their language)."""
    if not place:
        return "—"
    if place.startswith("@"):
        return _(f"consult.place.{place[1:]}")
    return place


def status_text(consultation: Consultation) -> str:
    return _(f"consult.status.{consultation.status}")


FORMAT_ONLY = {
    "consult.card_format": "flows.consult.card_format_only",
    "consult.view_format": "flows.consult.view_format_only",
}


def format_text(consultation: Consultation, key: str) -> str:
    """«Формат: … · время: …» under ``key`` (the card's or the person's wording); a format that needs
    no time (in writing) shows the format alone."""
    if not svc.needs_time(consultation.format):
        return _(FORMAT_ONLY[key]).format(format=_(f"consult.format.{consultation.format}"))
    return _(key).format(
        format=_(f"consult.format.{consultation.format}"),
        time=_(f"consult.time.{consultation.preferred_time}"),
    )


def meeting_text(consultation: Consultation, settings: Any, key: str) -> str:
    place = place_text(consultation.meeting_place, settings)
    return _(key).format(when=local(consultation.meeting_at, settings), place=html.escape(place))


def age_text(since: datetime, now: datetime) -> str:
    minutes = max(0, int((now - since).total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return plural(_, "consult.age_days", days, h=hours)
    return _("consult.age_hours").format(h=hours, m=minutes)


def card_text(data: svc.Card, settings: Any, language: str | None = None) -> str:
    c = data.consultation
    person = data.person
    lines = [
        _("consult.card_title").format(number=num(c.id), status=status_text(c)),
        _("consult.card_topic").format(topic=html.escape(svc.topic_title(data.topic, language))),
        _("consult.card_from").format(
            name=html.escape(person.first_name or _("consult.erased_person")),
            group=_(f"group.{person.target_group}") if person.target_group else "—",
            district=_(f"district.{person.district}") if person.district else "—",
        ),
        _("consult.card_org").format(org=html.escape(c.organisation or "—")),
        format_text(c, "consult.card_format"),
        _("consult.card_created").format(at=local(c.created_at, settings)),
    ]
    if person.messenger != TELEGRAM:  # staff answer from Telegram; the bot passes it on in MAX
        lines.insert(3, _("max.card_messenger"))
    if c.assignee_name and c.taken_at:  # who acted on it and when, updated in place
        lines.append(acted_line("staff.acted.taken", c.assignee_name, settings, c.taken_at))
    elif c.assignee_name:
        lines.append(_("consult.card_assignee").format(name=html.escape(c.assignee_name)))
    if data.answered:
        lines.append(acted_line("staff.acted.answered", data.answered[0], settings, data.answered[1]))
    if c.closed_at and c.outcome:
        lines.append(acted_line("staff.acted.closed", c.assignee_name or "—", settings, c.closed_at))
    if c.meeting_at:
        lines.append(meeting_text(c, settings, "consult.card_meeting"))
    if c.outcome:
        lines.append(_("consult.card_outcome").format(outcome=_(f"consult.outcome.{c.outcome}")))
    if c.rating:
        lines.append(_("consult.card_rating").format(stars="⭐" * c.rating, rating=c.rating))
        if c.rating_comment:
            lines.append(_("consult.card_comment").format(comment=quote_cut(c.rating_comment, 500)))
    if data.attachments:
        lines.append(_("consult.card_files").format(count=data.attachments))
    lines.append("")
    lines.append(_("consult.card_question"))
    if c.question:
        lines.append(quote_cut(c.question, 2500))
    else:
        lines.append(_("flows.consult.card_voice_question") if data.voices else _("consult.erased_text"))
    return "\n".join(lines)


def card_markup(c: Consultation) -> InlineKeyboardMarkup:
    return card_keyboard(c.id, is_open=c.status in OPEN_STATUSES, assigned=c.assignee_tg_id is not None)


async def topic_of(session: AsyncSession, c: Consultation, language: str | None) -> str:
    """The request's topic in ``language``, HTML-escaped."""
    topic = await session.get(ConsultationTopic, c.topic_id)
    return html.escape(svc.topic_title(topic, language))


def payload(message: Message) -> tuple[str, str | None, str | None, str | None] | None:
    """(kind, text, file_id, file_name) of a text, photo, document or voice message; None for anything
    else. A voice message is kept by its file_id and shown to staff as voice."""
    if message.text is not None:
        return "text", message.text, None, None
    if message.voice is not None:
        return "voice", message.caption, message.voice.file_id, None
    if message.photo:
        return "photo", message.caption, message.photo[-1].file_id, None
    if message.document is not None:
        return "document", message.caption, message.document.file_id, message.document.file_name
    return None


def attachment(message: Message) -> dict[str, Any] | None:
    """A photo, document or voice message as the dialog keeps it in its draft; None for anything else."""
    found = payload(message)
    if found is None or found[0] == "text":
        return None
    kind, _text, file_id, file_name = found
    return {"kind": kind, "file_id": file_id, "file_name": file_name}


def staff_name(event: Message | CallbackQuery) -> str:
    user = event.from_user
    assert user is not None
    return user.full_name or str(user.id)


def mention(event: Message | CallbackQuery) -> str:
    user = event.from_user
    assert user is not None
    return f'<a href="tg://user?id={user.id}">{html.escape(user.first_name)}</a>'


async def or_fail(event: CallbackQuery | Message, call: Awaitable[T]) -> T | None:
    """What a staff action's service call returns, or None once its refusal is shown (``fail``)."""
    try:
        return await call
    except DomainError as exc:
        await fail(event, exc)
        return None


async def fail(event: CallbackQuery | Message, exc: DomainError) -> None:
    """A staff action refused: an alert on the button, or a reply to the message."""
    if isinstance(event, CallbackQuery):
        await event.answer(error_text(exc)[:200], show_alert=True)
    else:
        await event.reply(error_text(exc))

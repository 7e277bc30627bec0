"""Texts shared by the broadcast dialog, its scheduling, its control buttons and the history."""

from __future__ import annotations

from typing import Any

from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from handlers.common import target
from keyboards import broadcasts as kb
from keyboards.admin import AdminAction, AdminCb
from services import broadcasts as service
from services import dates


def content_of(message: Message) -> tuple[str, str | None] | None:
    """(kind, text or caption) of a message that can be copied to people, else None."""
    if message.text:
        return "text", message.text
    for kind in ("photo", "video", "document", "animation", "audio", "voice"):
        if getattr(message, kind, None):
            return kind, message.caption
    return None


def what_text(data: dict[str, Any]) -> str:
    return _("broadcast.what").format(
        kind=_(f"broadcast.kind_{data['kind']}"), excerpt=kb.escape(data["excerpt"])
    )


def _value_label(key: str, value: str) -> str:
    return _(f"group.{value}") if key == "group" else _(f"district.{value}")


def who_lines(audience: dict[str, str]) -> list[str]:
    lines = [_("broadcast.who_all")]
    for key in ("group", "district", "interest"):
        if key in audience:
            lines.append(_(f"broadcast.who_{key}").format(value=_value_label(key, audience[key])))
    source = audience.get("source")
    if source and source in service.AUDIENCES:
        value = _(service.AUDIENCES[source].label_key)
        if audience.get("label"):
            value += f": {kb.escape(audience['label'])}"
        lines.append(_("broadcast.who_source").format(value=value))
    return lines


def who_short(audience: dict[str, Any]) -> str:
    lines = who_lines(audience)[1:]
    return "; ".join(line.lstrip("• ") for line in lines) if lines else _("broadcast.who_short_all")


def preview_text(data: dict[str, Any], count: int) -> str:
    return _("broadcast.preview").format(
        where=_("broadcast.preview_private" if data.get("private") else "broadcast.preview_here"),
        what=what_text(data),
        who="\n".join(who_lines(data.get("aud", {}))),
        count=count,
    )


def quiet_window(settings: Settings) -> tuple[str, str]:
    return settings.quiet_hours_start.strftime("%H:%M"), settings.quiet_hours_end.strftime("%H:%M")


async def show(event: Message | CallbackQuery, text: str, markup: Any) -> None:
    """Edit the dialog's message when a button was pressed, else answer with a new one."""
    if isinstance(event, CallbackQuery):
        try:
            await event.answer()  # a form's button is answered already
        except TelegramAPIError:
            pass
        try:
            await target(event).edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest:
            pass
    await target(event).answer(text, reply_markup=markup)


async def alert(callback: CallbackQuery, text: str) -> None:
    await callback.answer(text, show_alert=True)


def history_item(row: Any, counts: Any, settings: Settings) -> str:
    if row.status == "scheduled":
        figures = _("broadcast.figures_scheduled").format(when=kb.local(row.start_at, settings.tz))
    else:
        figures = _("broadcast.figures").format(
            sent=counts.sent, total=counts.total, blocked=counts.blocked, failed=counts.failed
        )
        if counts.pending and row.status != "running":
            figures += _("broadcast.figures_left").format(left=counts.pending)
        if row.unsubscribed:
            figures += _("broadcast.figures_unsub").format(n=row.unsubscribed)
    return _("broadcast.history_item").format(
        id=row.id,
        when=kb.local(row.started_at or row.created_at, settings.tz),
        status=_(f"broadcast.st_{row.status}"),
        what=what_text({"kind": row.content_kind, "excerpt": row.excerpt}),
        who=who_short(row.audience or {}),
        figures=figures,
    )


# --- the digest's staff side ------------------------------------------------------------------------


class DigestAdmin(StatesGroup):
    preview_who = State()  # the news item is a form-engine dialog (news.py)


def admin_kb(*rows: list[tuple[str, AdminCb]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=cb.pack()) for label, cb in row] for row in rows
        ]
    )


def cancel_row() -> list[tuple[str, AdminCb]]:
    """«Назад» (to the digest panel) and «Отмена»."""
    return [
        (_("btn.back"), AdminCb(action=AdminAction.DIGEST)),
        (_("btn.cancel"), AdminCb(action=AdminAction.DIGEST_CANCEL)),
    ]


def local_time(moment: Any, settings: Any) -> str:
    return dates.moment_text(moment, settings.tz, _)

"""«Who acted on this card and when», one line under a staff card (issue 17): «✅ Подтверждено:
Мария Сотрудник, ср, 9 декабря, 11:05». The card is edited in place and loses the buttons that no
longer apply; bookings and consultations have their own card builders, ideas and the catalogue use
this one."""

from __future__ import annotations

import html
import logging
from datetime import datetime
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from db.base import utcnow
from services import dates

log = logging.getLogger(__name__)


def acted_line(key: str, who: str, settings: Any, at: datetime | None = None) -> str:
    """The line itself, in the one date style (services.dates), ``who`` escaped for HTML."""
    return _(key).format(who=html.escape(who), at=dates.moment_text(at or utcnow(), settings.tz, _))


async def edit_card(
    bot: Bot,
    chat_id: int,
    message_id: int | None,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Replace the card's text (or its caption, for a card sent as a photo); if neither can be
    edited (too old, deleted), at least take its buttons off."""
    if not message_id:
        return
    try:
        await bot.edit_message_text(text=text, chat_id=chat_id, message_id=message_id, reply_markup=markup)
        return
    except TelegramAPIError:
        pass
    try:
        await bot.edit_message_caption(
            caption=text, chat_id=chat_id, message_id=message_id, reply_markup=markup
        )
        return
    except TelegramAPIError:
        pass
    try:
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=markup)
    except TelegramAPIError:
        log.debug("staff card %s in %s not edited", message_id, chat_id, exc_info=True)

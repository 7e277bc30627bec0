"""The digest's own «Отписаться»/«Подписаться» buttons, and the person blocking or unblocking the bot."""

from __future__ import annotations

from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, ChatMemberUpdated, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.common import error_text, target
from keyboards.settings import DigestAction, DigestCb, resubscribe_keyboard
from services import dates, preferences
from services import digest as digest_service
from services.errors import DomainError


async def _drop_unsubscribe_button(message: Message) -> None:
    if message.reply_markup is None:
        return
    rows = [
        row
        for row in message.reply_markup.inline_keyboard
        if not any(b.callback_data == digest_service.UNSUBSCRIBE_DATA for b in row)
    ]
    try:
        await message.edit_reply_markup(
            reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
        )
    except TelegramBadRequest:
        pass


async def digest_subscription(
    callback: CallbackQuery, callback_data: DigestCb, session: AsyncSession, settings: Any
) -> None:
    enabled = callback_data.action is DigestAction.ON
    try:
        await digest_service.set_subscription(session, callback.from_user.id, enabled)
    except DomainError as exc:
        await callback.answer(error_text(exc), show_alert=True)
        return
    message = callback.message if isinstance(callback.message, Message) else None
    if not enabled:
        await callback.answer(_("digest.unsubscribed_alert"))
        if message is not None:
            await _drop_unsubscribe_button(message)
        await target(callback).answer(_("digest.unsubscribed"), reply_markup=resubscribe_keyboard())
        return
    text = _("digest.resubscribed").format(day=dates.on_weekday(settings.digest_day, _))
    await callback.answer(text)
    if message is not None:
        try:
            await message.edit_text(text)
        except TelegramBadRequest:
            await message.answer(text)


async def blocked(event: ChatMemberUpdated, session: AsyncSession) -> None:
    if event.chat.type == "private":
        await preferences.mark_reachable(session, event.chat.id, False)


async def unblocked(event: ChatMemberUpdated, session: AsyncSession) -> None:
    if event.chat.type == "private":
        await preferences.mark_reachable(session, event.chat.id, True)

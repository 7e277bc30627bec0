"""Providers answer the monthly question about offline recipients with a number pad (private chat)."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import User
from db.models.showcase import ServiceCard
from handlers.common import RequireRegistration
from handlers.filters import private
from handlers.report.views import question_text
from keyboards.common import MAX_ID
from keyboards.report import RofAction, RofCb, pad_markup
from services import report_offline as offline


async def _edit(callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    if not isinstance(callback.message, Message):
        return
    try:
        await callback.message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest:
        pass  # "message is not modified" (the same digit pressed at the limit)


async def pressed(
    callback: CallbackQuery, callback_data: RofCb, session: AsyncSession, user: User | None, settings: Any
) -> None:
    now = utcnow()
    month = offline.month_of(callback_data.m, now, settings.tz)
    card = await session.get(ServiceCard, callback_data.card) if 0 < callback_data.card <= MAX_ID else None
    if user is None or month is None or card is None or card.provider_id != user.id:
        await callback.answer(_("report.offline_not_yours"), show_alert=True)
        return
    value = callback_data.v
    if not 0 <= value <= offline.MAX_COUNT:
        await callback.answer()
        return
    if callback_data.a == RofAction.DIGIT:
        await callback.answer()
        await _edit(callback, question_text(card, month, value), pad_markup(card.id, callback_data.m, value))
        return
    count = value if callback_data.a == RofAction.SAVE else None
    result = await offline.answer(session, user, card.id, month, count, now)
    if result == "staff":
        await callback.answer(_("report.offline_staff_set"), show_alert=True)
        await _edit(callback, question_text(card, month, None), None)
        return
    await callback.answer(_("report.offline_thanks"))
    done = _("report.offline_saved").format(count=count) if count is not None else _("report.offline_unknown")
    await _edit(callback, question_text(card, month, None) + "\n\n" + done, None)


def create_router() -> Router:
    """Resident side: only in private chats, only the card's own provider."""
    router = Router(name="report-offline")
    router.callback_query.filter(private())
    router.callback_query.middleware(RequireRegistration())
    router.callback_query.register(pressed, RofCb.filter())
    return router

"""The recipient's side of broadcasts: «Отписаться от новостей» under every announcement (and
«Вернуть подписку» after it)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.common import error_text, or_alert
from handlers.filters import private_only
from keyboards import broadcasts as kb
from keyboards.broadcasts import UnsubAction, UnsubCb
from services import broadcasts as service
from services.errors import DomainError


async def _swap_button(callback: CallbackQuery, subscribed: bool, broadcast_id: int) -> None:
    if not isinstance(callback.message, Message):  # too old to edit
        return
    markup = kb.unsubscribe_keyboard(broadcast_id) if subscribed else kb.resubscribe_keyboard(broadcast_id)
    try:
        await callback.message.edit_reply_markup(reply_markup=markup)
    except TelegramBadRequest:
        pass


async def unsubscribe(callback: CallbackQuery, callback_data: UnsubCb, session: AsyncSession) -> None:
    changed = await or_alert(
        callback, service.unsubscribe(session, callback.from_user.id, callback_data.id or None)
    )
    if changed is None:
        return
    key = "broadcast.unsubscribed" if changed else "broadcast.already_unsubscribed"
    await callback.answer(_(key), show_alert=True)
    await _swap_button(callback, False, callback_data.id)


async def resubscribe(callback: CallbackQuery, callback_data: UnsubCb, session: AsyncSession) -> None:
    try:
        await service.resubscribe(session, callback.from_user.id)
    except DomainError as exc:
        await callback.answer(error_text(exc), show_alert=True)
        return
    await callback.answer(_("broadcast.resubscribed"), show_alert=True)
    await _swap_button(callback, True, callback_data.id)


def create_router() -> Router:
    router = Router(name="broadcasts")
    private_only(router)
    router.callback_query.register(unsubscribe, UnsubCb.filter(F.action == UnsubAction.OFF))
    router.callback_query.register(resubscribe, UnsubCb.filter(F.action == UnsubAction.ON))
    return router

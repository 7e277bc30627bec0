"""/privacy: what is stored, a copy of it as a file, and erasure after confirmation."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db import messenger
from db.base import utcnow
from db.models import User
from db.repositories import users as users_repo
from handlers.common import settle_question, target
from handlers.filters import private_only
from handlers.privacy_text import readable
from keyboards.menu import MenuCb, home_only, public_menu, with_home
from keyboards.privacy import (
    PrivacyAction,
    PrivacyCb,
    confirm_erase_keyboard,
    confirm_withdraw_keyboard,
    privacy_keyboard,
)
from services import dates
from services import privacy as privacy_service

log = logging.getLogger(__name__)


async def show_privacy(message: Message, user: User | None, session: AsyncSession, settings: Any) -> None:
    if user is None:
        await message.answer(_("privacy.nothing_stored"), reply_markup=public_menu())
        return
    consents = await users_repo.consents(session, user.id)
    given = next((c for c in reversed(consents) if c.action == "given"), None)
    await message.answer(
        _("privacy.summary").format(
            version=given.policy_version if given else "—",
            date=dates.day_text(given.at.astimezone(settings.tz).date(), _) if given else "—",
        ),
        reply_markup=with_home(privacy_keyboard()),
    )


async def forget_fsm(storage: BaseStorage, tg_id: int) -> None:
    """The person's FSM state and drafts in every chat, in Redis (SQL rows go inside the erasure).
    Keys are ``fsm:<chat>:<user>:<destiny>:<part>`` (a thread id may follow the chat); the part ``lock``
    belongs to the event isolation of the update being handled and is left alone."""
    redis = getattr(storage, "redis", None)
    if redis is None:
        return
    mine = []
    async for raw in redis.scan_iter(match=f"fsm:*{tg_id}:*", count=500):
        key = raw.decode() if isinstance(raw, bytes) else raw
        parts = key.split(":")
        if (
            parts[-1] in ("state", "data")  # not the event-isolation lock
            and str(tg_id) in parts[1:-2]
            and messenger.owns_storage_key(key)  # the same number in the other messenger is another person
        ):
            mine.append(key)
    if mine:
        await redis.delete(*mine)


async def mark_erased(bot: Bot, messages: list[tuple[int, int]], admin_chat_id: int | None) -> None:
    """The bot's own staff-chat messages that showed the person now say «данные удалены по запросу»
    (the bot may edit its own messages at any age). Chat 0 stands for the admin chat."""
    text = _("privacy.staff_message_erased")
    for chat_id, message_id in messages:
        chat = admin_chat_id if chat_id == 0 else chat_id
        if chat is None:
            continue
        try:
            await bot.edit_message_text(text=text, chat_id=chat, message_id=message_id, reply_markup=None)
        except TelegramBadRequest:  # a photo or document: its caption instead
            try:
                await bot.edit_message_caption(
                    caption=text, chat_id=chat, message_id=message_id, reply_markup=None
                )
            except TelegramAPIError:
                log.warning("could not mark message %s in chat %s as erased", message_id, chat)
        except TelegramAPIError:
            log.warning("could not mark message %s in chat %s as erased", message_id, chat)


async def cmd_privacy(
    message: Message, state: FSMContext, user: User | None, session: AsyncSession, settings: Any
) -> None:
    await state.clear()
    await show_privacy(message, user, session, settings)


async def menu_privacy(
    callback: CallbackQuery, user: User | None, session: AsyncSession, settings: Any
) -> None:
    await callback.answer()
    await show_privacy(target(callback), user, session, settings)


async def export(callback: CallbackQuery, user: User | None, session: AsyncSession, settings: Any) -> None:
    """The JSON file (complete, for a machine or a lawyer), then the same data as messages a person can
    read: what the Center holds, grouped by feature, with dates."""
    await callback.answer()
    if user is None:
        await target(callback).answer(_("privacy.nothing_stored"), reply_markup=home_only())
        return
    data = await privacy_service.export(session, user)
    payload = json.dumps(data, ensure_ascii=False, indent=2).encode()
    await target(callback).answer_document(
        BufferedInputFile(payload, filename="my_data.json"), caption=_("privacy.export_caption")
    )
    texts = readable(data, settings.tz, utcnow())
    for n, text in enumerate(texts, 1):  # the last message ends the screen: a way back to the menu
        await target(callback).answer(text, reply_markup=home_only() if n == len(texts) else None)


CONFIRMATIONS = {
    PrivacyAction.ERASE: ("privacy.erase_confirm", confirm_erase_keyboard),
    PrivacyAction.WITHDRAW: ("privacy.withdraw_confirm", confirm_withdraw_keyboard),
}


async def confirm_ask(callback: CallbackQuery, callback_data: PrivacyCb, user: User | None) -> None:
    """«Удалить данные» or «Отозвать согласие»: asked once more before anything is erased."""
    await callback.answer()
    if user is None:
        await target(callback).answer(_("privacy.nothing_stored"))
        return
    key, keyboard = CONFIRMATIONS[callback_data.action]
    await target(callback).answer(_(key), reply_markup=keyboard())


async def erase_yes(
    callback: CallbackQuery,
    state: FSMContext,
    user: User | None,
    session: AsyncSession,
    settings: Any,
    bot: Bot,
) -> None:
    await callback.answer()
    if user is None:
        await target(callback).answer(_("privacy.nothing_stored"))
        return
    staff_messages = await privacy_service.erase(session, callback.from_user.id, settings.policy_version)
    await state.clear()
    await forget_fsm(state.storage, callback.from_user.id)
    await mark_erased(bot, staff_messages, settings.admin_chat_id)
    await target(callback).edit_reply_markup(reply_markup=None)
    await target(callback).answer(_("privacy.erased"), reply_markup=public_menu())


async def erase_no(callback: CallbackQuery) -> None:
    await settle_question(callback, _("privacy.erase_kept"), home_only())


def create_router() -> Router:
    router = Router(name="privacy")
    private_only(router)

    router.message.register(cmd_privacy, Command("privacy"))
    router.callback_query.register(menu_privacy, MenuCb.filter(F.action == "privacy"))
    router.callback_query.register(export, PrivacyCb.filter(F.action == "export"))
    router.callback_query.register(confirm_ask, PrivacyCb.filter(F.action.in_(CONFIRMATIONS)))
    router.callback_query.register(erase_yes, PrivacyCb.filter(F.action.in_({"erase_yes", "withdraw_yes"})))
    router.callback_query.register(erase_no, PrivacyCb.filter(F.action == "erase_no"))

    return router

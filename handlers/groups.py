"""Group chats: /chatid tells the chat's id (to set ADMIN_CHAT_ID while setting the bot up)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from handlers.filters import groups


async def chat_id(message: Message) -> None:
    await message.answer(_("groups.chat_id").format(chat_id=message.chat.id))


def create_router() -> Router:
    router = Router(name="groups")
    router.message.filter(groups())

    router.message.register(chat_id, Command("chatid"))

    return router

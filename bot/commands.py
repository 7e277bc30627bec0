"""set_my_commands: user commands in private chats (ru, en), staff commands in the admin chat only."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from aiogram.utils.i18n import I18n

from handlers.admin import STAFF_COMMANDS
from handlers.commands import USER_COMMANDS


def _commands(i18n: I18n, items: list[tuple[str, str]], locale: str) -> list[BotCommand]:
    return [BotCommand(command=name, description=i18n.gettext(key, locale=locale)) for name, key in items]


async def set_max_commands(bot: Bot, i18n: I18n) -> None:
    """MAX has one list of commands per bot (no scopes, no languages): the residents' ones in Russian."""
    await bot.set_my_commands(_commands(i18n, USER_COMMANDS, "ru"))


async def set_commands(bot: Bot, i18n: I18n, admin_chat_id: int | None) -> None:
    private = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(_commands(i18n, USER_COMMANDS, "ru"), scope=private)
    await bot.set_my_commands(_commands(i18n, USER_COMMANDS, "ru"), scope=private, language_code="ru")
    await bot.set_my_commands(_commands(i18n, USER_COMMANDS, "en"), scope=private, language_code="en")
    if admin_chat_id is not None:
        admin = BotCommandScopeChat(chat_id=admin_chat_id)
        await bot.set_my_commands(_commands(i18n, STAFF_COMMANDS, "ru"), scope=admin)
        await bot.set_my_commands(_commands(i18n, STAFF_COMMANDS, "en"), scope=admin, language_code="en")

"""set_my_commands: user commands in private chats (ru, en), staff commands in the admin chat only; and
the bot's description and short description (the screen before «Start», the profile and link previews)."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from aiogram.utils.i18n import I18n

from handlers.admin import STAFF_COMMANDS
from handlers.commands import USER_COMMANDS

log = logging.getLogger(__name__)


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


async def set_descriptions(bot: Bot, i18n: I18n) -> None:
    """setMyDescription / setMyShortDescription in Russian (also the default for every other language)
    and English, from the locales (``bot.description``, ``bot.short_description``). A failure is logged
    and ignored: an empty description must not keep the bot from starting."""
    for language_code, locale in ((None, "ru"), ("ru", "ru"), ("en", "en")):
        try:
            await bot.set_my_description(
                description=i18n.gettext("bot.description", locale=locale), language_code=language_code
            )
            await bot.set_my_short_description(
                short_description=i18n.gettext("bot.short_description", locale=locale),
                language_code=language_code,
            )
        except Exception:  # any API or network failure: the bot works without a description
            log.warning("could not set the bot's description (%s)", locale, exc_info=True)


async def set_up_bot(bot: Bot, i18n: I18n, admin_chat_id: int | None) -> None:
    """What start-up tells Telegram about the bot: its commands, then its description."""
    await set_commands(bot, i18n, admin_chat_id)
    await set_descriptions(bot, i18n)

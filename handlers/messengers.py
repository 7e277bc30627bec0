"""Which Bot reaches a person: the one of their messenger (people are keyed by (messenger, id)).

Staff work in the Telegram admin chat, so a staff member's answer to a resident in MAX is sent by the MAX
Bot. ``create_dispatcher`` installs the process's bots here (replacing, never appending); without a MAX
Bot everything goes through the Bot at hand, as before."""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Mapping
from contextlib import contextmanager
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, Message

from db.messenger import TELEGRAM
from db.models import User
from services.ports import Translator

log = logging.getLogger(__name__)

BOTS: dict[str, Bot] = {}


def install(bots: Mapping[str, Bot]) -> None:
    BOTS.clear()
    BOTS.update(bots)


def messenger_of(bot: Bot) -> str:
    """The messenger a Bot serves: its session says so (bot.max.CenterMaxSession), else Telegram."""
    return getattr(bot.session, "messenger", TELEGRAM)


def bot_for(person_messenger: str | None, bot: Bot) -> Bot:
    """The Bot that reaches a person of ``person_messenger`` (``bot``: the one the update came through)."""
    name = person_messenger or TELEGRAM
    if messenger_of(bot) == name:
        return bot
    return BOTS.get(name, bot)


def language_of(person: User | None, i18n: Translator) -> str:
    """The person's language when the bot speaks it, else the Center's default."""
    if person is not None and person.language in i18n.available_locales:
        return person.language
    return i18n.default_locale


@contextmanager
def speaking_to(bot: Bot, i18n: Translator, person: User) -> Generator[Bot]:
    """The bot that reaches the person (``bot``: the one at hand; staff work in Telegram, the person may
    be in MAX), with the person's language in use for the texts built inside."""
    with i18n.use_locale(language_of(person, i18n)):
        yield bot_for(person.messenger, bot)


async def tell(
    bot: Bot,
    i18n: Translator,
    person: User | None,
    text: Callable[[], str],
    markup: Callable[[], InlineKeyboardMarkup | None] | None = None,
    **kwargs: Any,
) -> Message | None:
    """Tell a person something through their messenger, the text (and its buttons) built in their
    language. None when it did not arrive (no chat, the bot blocked...): logged, never raised."""
    if person is None or person.tg_id is None:
        return None
    with speaking_to(bot, i18n, person) as their_bot:
        body = text()
        keyboard = markup() if markup else None
    try:
        return await their_bot.send_message(person.tg_id, body, reply_markup=keyboard, **kwargs)
    except (TelegramForbiddenError, TelegramBadRequest):
        log.info("a notice to person %s was not delivered", person.id)
    except TelegramAPIError:
        log.warning("a notice to person %s failed", person.id, exc_info=True)
    return None

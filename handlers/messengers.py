"""Which Bot reaches a person: the one of their messenger (people are keyed by (messenger, id)).

Staff work in the Telegram admin chat, so a staff member's answer to a resident in MAX is sent by the MAX
Bot. ``create_dispatcher`` installs the process's bots here (replacing, never appending); without a MAX
Bot everything goes through the Bot at hand, as before."""

from __future__ import annotations

from collections.abc import Mapping

from aiogram import Bot

from db.messenger import TELEGRAM

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

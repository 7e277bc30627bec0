"""The outbox sender as the bot runs it: services.outbox.Outbox sending through a TelegramNotifier."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from aiogram import Bot

from bot.config import Settings
from bot.delivery.telegram import TelegramNotifier
from db.clock import Clock
from db.clock import current as current_clock
from db.engine import Database
from services.outbox import Outbox, Pacer
from services.ports import SharedPace, Translator


def telegram_outbox(bot: Bot, db: Database, i18n: Translator, **options: Any) -> Outbox:
    """An Outbox that sends through ``bot`` (options as services.outbox.Outbox takes them)."""
    return Outbox(TelegramNotifier(bot), db, i18n, **options)


def create_outbox(
    settings: Settings,
    bot: Bot,
    db: Database,
    i18n: Translator,
    clock: Clock | None = None,
    pace: SharedPace | None = None,
    others: Mapping[str, Bot] | None = None,
) -> Outbox:
    """The process's outbox sender, configured from settings (``pace``: the bot-wide one, with Redis);
    ``others``: the Bots of other messengers (MAX), each paced at its own rate (MAX_RATE)."""
    clock = clock or current_clock()
    routes = {
        name: (TelegramNotifier(other), Pacer(rate=settings.max_rate))
        for name, other in (others or {}).items()
    }
    return telegram_outbox(
        bot,
        db,
        i18n,
        tz=settings.tz,
        quiet_start=settings.quiet_hours_start,
        quiet_end=settings.quiet_hours_end,
        default_locale=settings.default_locale,
        claim_ttl=timedelta(seconds=settings.outbox_claim_seconds),
        max_attempts=settings.outbox_max_attempts,
        pacer=Pacer(rate=settings.outbox_rate, shared=pace),
        clock=clock.now,
        others=routes,
    )

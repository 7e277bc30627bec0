"""The desk: what a handler needs to act beyond the chat it answers — the bot, this update's database
session, the settings and the translations (a notice to a person goes out in their language).

DbSessionMiddleware puts one in every update's data as ``desk``; a handler that posts to the admin chat or
writes to someone else takes ``desk: Desk`` instead of the four, and passes it on whole to the helpers it
calls. Scheduled jobs build their own from the same four."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession

from services.ports import Translator


@dataclass(frozen=True, slots=True)
class Desk:
    bot: Bot
    session: AsyncSession
    settings: Any
    i18n: Translator

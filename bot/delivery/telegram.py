"""The Notifier port (services.ports) over an aiogram Bot."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from services.ports import Buttons, DeliveryError, Rejected, RetryLater, Unreachable

UNREACHABLE_MARKERS = (
    "chat not found",
    "user not found",
    "peer_id_invalid",
    "user is deactivated",
    "bot was blocked",
    "bot can't initiate",
    "chat_write_forbidden",
)
"""Words of a 400 that mean the person or chat cannot be reached (as 403 and 404 do)."""


def markup(buttons: Buttons | None) -> InlineKeyboardMarkup | None:
    """Port buttons as an inline keyboard (None when there are none)."""
    rows: list[list[InlineKeyboardButton]] = []
    for row in buttons or ():
        out = [
            InlineKeyboardButton(text=b.text, url=b.url)
            if b.url
            else InlineKeyboardButton(text=b.text, callback_data=b.data)
            for b in row
        ]
        if out:
            rows.append(out)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


class TelegramNotifier:
    """Sends through ``bot``; aiogram's errors become RetryLater, Unreachable, Rejected or (transient:
    network, server) a plain DeliveryError."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, text: str, buttons: Buttons | None = None) -> int:
        try:
            message = await self.bot.send_message(chat_id, text, reply_markup=markup(buttons))
        except TelegramRetryAfter as exc:
            raise RetryLater(exc.retry_after, exc.message) from exc
        except (TelegramForbiddenError, TelegramNotFound) as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc.message}") from exc
        except TelegramBadRequest as exc:
            if any(marker in exc.message.lower() for marker in UNREACHABLE_MARKERS):
                raise Unreachable(f"TelegramBadRequest: {exc.message}") from exc
            raise Rejected(f"BadRequest: {exc.message}") from exc
        except TelegramAPIError as exc:  # network, server: transient
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        return message.message_id

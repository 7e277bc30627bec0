"""A client-session middleware: no text the bot sends goes over Telegram's length limit or with cut HTML.

Dialogs join whole lines within the limit themselves (handlers.texts.join_lines); this is the net under
them for any text that still grows too long: it is cut at a whole line with its open tags closed, where
Telegram would otherwise refuse the whole message.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

from handlers.texts import CAPTION_LIMIT, MESSAGE_LIMIT, cut_html


class TextLimitMiddleware(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        text: Any = getattr(method, "text", None)
        if isinstance(text, str) and len(text) > MESSAGE_LIMIT:
            method.text = cut_html(text, MESSAGE_LIMIT)  # type: ignore[attr-defined]
        caption: Any = getattr(method, "caption", None)
        if isinstance(caption, str) and len(caption) > CAPTION_LIMIT:
            method.caption = cut_html(caption, CAPTION_LIMIT)  # type: ignore[attr-defined]
        return await make_request(bot, method)

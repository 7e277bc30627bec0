"""Cheap async filters for the hot path.

aiogram runs synchronous filters (plain magic filters such as ``F.chat.type == "private"``) in a
worker thread, about 65 µs each; a router-level check that every update passes through is better
as an async filter class, evaluated inline.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message


class ChatType(BaseFilter):
    def __init__(self, *types: str) -> None:
        self.types = frozenset(types)

    async def __call__(self, event: Message | CallbackQuery) -> bool:
        if isinstance(event, CallbackQuery):
            message = event.message
            return message is not None and message.chat.type in self.types
        return event.chat.type in self.types


def private() -> ChatType:
    return ChatType("private")


def private_only(router: Router) -> Router:
    """A resident router: its messages AND button presses only in private chats. A button forged or
    pressed in a group (the admin chat too) never reaches a resident handler, so nothing personal is
    answered into a group; the fallback router answers it as an out-of-date button."""
    router.message.filter(private())
    router.callback_query.filter(private())
    return router


def groups() -> ChatType:
    return ChatType("group", "supergroup")

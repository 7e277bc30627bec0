"""Who is staff: members of the admin chat (getChatMember, cached briefly) plus ADMIN_IDS."""

from __future__ import annotations

import time
from typing import Any

from aiogram import Bot, Router
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message

from db import messenger

MEMBER_STATUSES = frozenset(
    {ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER}
)


class StaffDirectory:
    def __init__(self, admin_chat_id: int | None, admin_ids: list[int], ttl: float = 300.0) -> None:
        self.admin_chat_id = admin_chat_id
        self.admin_ids = frozenset(admin_ids)
        self.ttl = ttl
        self._cache: dict[int, tuple[float, bool]] = {}

    async def is_staff(self, bot: Bot, user_id: int) -> bool:
        if messenger.current() != messenger.TELEGRAM:  # staff work in Telegram; a MAX id is never one
            return False
        if user_id in self.admin_ids:
            return True
        if self.admin_chat_id is None:
            return False
        now = time.monotonic()
        cached = self._cache.get(user_id)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        try:
            member = await bot.get_chat_member(self.admin_chat_id, user_id)
            result = member.status in MEMBER_STATUSES
        except TelegramAPIError:
            result = False
        self._cache[user_id] = (now, result)
        return result

    def forget(self, user_id: int) -> None:
        self._cache.pop(user_id, None)


class InAdminChat(BaseFilter):
    """The update comes from the admin chat (checked first: cheap)."""

    async def __call__(self, event: Message | CallbackQuery, staff: StaffDirectory) -> bool:
        message = event.message if isinstance(event, CallbackQuery) else event
        return (
            staff.admin_chat_id is not None and message is not None and message.chat.id == staff.admin_chat_id
        )


class IsStaff(BaseFilter):
    """The sender is staff. Callback ids are never trusted: the presser is checked here."""

    async def __call__(
        self, event: Message | CallbackQuery, bot: Bot, staff: StaffDirectory
    ) -> bool | dict[str, Any]:
        user = event.from_user
        return user is not None and await staff.is_staff(bot, user.id)


async def membership_changed(event: ChatMemberUpdated, staff: StaffDirectory) -> None:
    if staff.admin_chat_id is not None and event.chat.id == staff.admin_chat_id:
        staff.forget(event.new_chat_member.user.id)


def create_membership_router() -> Router:
    """A change of membership in the admin chat (someone left, was removed, joined, was promoted) drops
    that person's cached staff status at once, so leaving the chat ends staff rights immediately, not
    after STAFF_CACHE_SECONDS. Registering this handler puts ``chat_member`` into allowed_updates (the
    bot must be an administrator of the admin chat to receive these updates)."""
    router = Router(name="admin-membership")

    router.chat_member.register(membership_changed)

    return router

"""/broadcast (as a reply to a message in the admin chat) starts the broadcast dialog (form.py, on the
form engine; its scheduled ending: schedule.py). The sending is bot.delivery.broadcasts."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from handlers import forms
from handlers.broadcasts.form import BROADCAST
from handlers.broadcasts.views import content_of
from services import broadcasts as service


async def cmd_broadcast(message: Message, state: FSMContext, **data: Any) -> None:
    source = message.reply_to_message
    if source is None or source.forum_topic_created is not None:
        await message.answer(_("broadcast.reply_needed"))
        return
    content = content_of(source)
    if content is None:
        await message.answer(_("broadcast.unsupported"))
        return
    kind, excerpt = content
    extra = {
        "chat": source.chat.id,
        "msg": source.message_id,
        "kind": kind,
        "excerpt": service.clean_excerpt(excerpt),
        "album": source.media_group_id is not None,
    }
    await state.clear()
    await forms.start(BROADCAST, message, state, data, draft={"aud": {}}, extra=extra)


def register(router: Router) -> None:
    router.message.register(cmd_broadcast, Command("broadcast", "broadcast_new"))
    router.include_router(forms.router_for(BROADCAST))

"""/broadcast (as a reply to a message in the admin chat) starts the broadcast dialog (form.py, on the
form engine); its scheduled ending (the day, the time: schedule.py) has «Назад» to the preview and
«Отмена». The sending is services.broadcast_sender."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from handlers import forms
from handlers.broadcasts.form import BROADCAST
from handlers.broadcasts.schedule import ask_day
from handlers.broadcasts.views import BroadcastForm, content_of, show
from handlers.forms import PREVIEW
from keyboards.common import NavCb
from services import broadcasts as service

EXTRA_KEYS = ("chat", "msg", "kind", "excerpt", "album", "private")


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


async def cmd_cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("broadcast.cancelled_dialog"))


async def btn_cancel(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await show(callback, _("broadcast.cancelled_dialog"), None)


async def btn_back(callback: CallbackQuery, state: FSMContext, settings: Settings, **data: Any) -> None:
    """From the time to the day; from the day to the dialog's preview."""
    if await state.get_state() == BroadcastForm.time.state:
        await ask_day(callback, state, settings)
        return
    await callback.answer()
    stored = await state.get_data()
    extra = {key: stored[key] for key in EXTRA_KEYS if key in stored}
    data = {**data, "settings": settings}
    await forms.start(
        BROADCAST, callback, state, data, draft={"aud": stored.get("aud", {})}, extra=extra, at=PREVIEW
    )


def register(router: Router) -> None:
    in_schedule = StateFilter(BroadcastForm)
    router.message.register(cmd_broadcast, Command("broadcast"))
    router.message.register(cmd_cancel, Command("cancel"), in_schedule)
    router.callback_query.register(btn_cancel, NavCb.filter(F.action == "cancel"), in_schedule)
    router.callback_query.register(btn_back, NavCb.filter(F.action == "back"), in_schedule)
    router.include_router(forms.router_for(BROADCAST))

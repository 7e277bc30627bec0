"""Staff text input in the admin chat, shared by every feature's staff side: a reason, a comment or a
news item is taken ONLY from a Telegram reply to the bot's prompt (as consultations answer requests),
never from a staff member's next ordinary message — a line to a colleague must never reach a resident.

A feature shows ``reasons_keyboard`` (ready-made reasons plus «Своя причина»); «Своя причина» (or a
comment that has no ready-made choice) calls ``ask_reply``: a prompt with ForceReply, whose message
id is kept in the staff member's state. ``ReplyToPrompt(codes)`` lets through only a reply to that
very prompt; any other message in the chat is left alone."""

from __future__ import annotations

from typing import Any

from aiogram.filters import BaseFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import ForceReply, Message
from aiogram.utils.i18n import gettext as _


class StaffReply(StatesGroup):
    text = State()  # waiting for a reply to the prompt (data: f, id, prompt, card, extra)


async def ask_reply(
    where: Message,
    state: FSMContext,
    code: str,
    object_id: int,
    prompt: str,
    *,
    card: int | None = None,
    **extra: Any,
) -> Message:
    """Send ``prompt`` (with ForceReply) under ``where``; only a reply to it is taken as the text."""
    sent = await where.answer(
        prompt + "\n\n" + _("staff.reply_hint"),
        reply_markup=ForceReply(selective=True, input_field_placeholder=_("staff.reply_placeholder")),
    )
    await state.set_state(StaffReply.text)
    await state.set_data({"f": code, "id": object_id, "prompt": sent.message_id, "card": card, **extra})
    return sent


class ReplyToPrompt(BaseFilter):
    """A reply to the bot's prompt this staff member is answering, for one of ``codes``; passes the
    prompt's data on as ``reply_for``. Commands are never taken as the text."""

    def __init__(self, *codes: str) -> None:
        self.codes = frozenset(codes)

    async def __call__(self, message: Message, state: FSMContext) -> bool | dict[str, Any]:
        replied = message.reply_to_message
        if replied is None or (message.text or "").startswith("/"):
            return False
        if await state.get_state() != StaffReply.text.state:
            return False
        data = await state.get_data()
        if data.get("f") not in self.codes or data.get("prompt") != replied.message_id:
            return False
        return {"reply_for": data}
